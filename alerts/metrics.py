"""The expected pulls on /metrics (assurance.md section 13): for each key and feed with an
expectation, computed from the database at every scrape, whichever process answers it.

- ``intarget_export_pull_late{key,feed}``: 1 when late, else 0;
- ``intarget_export_sync_gaps{key,feed}``: the gaps ``sync_gaps`` lists;
- ``intarget_export_last_pull_age_seconds{key,feed}``: seconds since the latest pull
  ended, the moment the expectation was set counting as one (as lateness does), so that
  it passes ``every + grace`` exactly when the key and feed becomes late.

Registered with ``operations.metrics.register_scrape_collector`` (``AlertsConfig.ready``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import DatabaseError
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from alerts.selectors import expectation_states

logger = logging.getLogger(__name__)

LABELS = ["key", "feed"]


class ExpectationGauges:
    def collect(self) -> Iterable[Metric]:
        late = GaugeMetricFamily(
            "intarget_export_pull_late",
            "1 when a key and feed with an expected pull is late: no complete 200 pull ended within "
            "every + grace (expect_pulls), else 0.",
            labels=LABELS,
        )
        gaps = GaugeMetricFamily(
            "intarget_export_sync_gaps",
            "Gaps (sync_gaps) of a key and feed with an expected pull: windows it never received.",
            labels=LABELS,
        )
        age = GaugeMetricFamily(
            "intarget_export_last_pull_age_seconds",
            "Seconds since the latest complete 200 pull of a key and feed with an expected pull "
            "ended (or since the expectation was set, when later).",
            labels=LABELS,
        )
        try:
            states = expectation_states()
        except DatabaseError as error:
            # The feeds' metrics still answer; the missing series say the rest.
            logger.warning("expected pulls left out of /metrics: %s", type(error).__name__)
            states = []
        for state in states:
            labels = [state.key, state.feed]
            late.add_metric(labels, 1 if state.late else 0)
            gaps.add_metric(labels, len(state.gaps))
            age.add_metric(labels, state.age)
        return [late, gaps, age]
