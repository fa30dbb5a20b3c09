"""Helpers with no Django app of their own, one topic per module (healthchecks' ``hc/lib``):
bounds on database waits, SQL per engine, progress on a terminal. They import no app."""
