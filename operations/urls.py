"""The platform's routes (operations.md section 9): probes and metrics, no key needed."""

from django.urls import path

from operations.metrics import metrics
from operations.probes import healthz, readyz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
]
