"""Every field of the service's models has a label an operator reads as written: the
admin writes a field's verbose name with its first letter capitalised, so a field named
``ip`` with no verbose name would read "Ip"."""

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils.text import capfirst

from tests.support.factories import PlayerFactory

# Abbreviations a capitalised field name would spell wrong.
MISSPELT = {"Ip", "Id", "Url", "Utc", "Api"}


def test_no_field_label_is_a_misspelt_abbreviation():
    wrong = [
        f"{model._meta.label}.{field.name}: {capfirst(field.verbose_name)}"
        for model in apps.get_models()
        if not model._meta.app_label.startswith(("auth", "admin", "contenttypes", "sessions", "axes"))
        for field in model._meta.get_fields()
        if hasattr(field, "verbose_name") and str(capfirst(field.verbose_name)).split(" ")[0] in MISSPELT
    ]
    assert wrong == []


@pytest.mark.django_db
def test_a_players_address_reads_ip_address_on_its_page(admin_client):
    player = PlayerFactory(ip="203.0.113.7")
    body = admin_client.get(reverse("admin:players_player_change", args=[player.pk])).content.decode()
    assert '<label for="id_ip">IP address:</label>' in body
