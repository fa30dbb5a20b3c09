from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from operations.models import Pull


class Command(BaseCommand):
    help = "Remove pull log entries older than PULL_LOG_DAYS (default 90)."

    def handle(self, *args: Any, **options: Any) -> str:
        cutoff = timezone.now() - timezone.timedelta(days=settings.PULL_LOG_DAYS)
        removed, _ = Pull.objects.filter(started_at__lt=cutoff).delete()
        return f"{removed} pull log entries older than {settings.PULL_LOG_DAYS} days removed"
