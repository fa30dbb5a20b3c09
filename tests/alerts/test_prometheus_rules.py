"""The deployment's Prometheus alert rules on the expected pulls (assurance.md section 13,
deploy/prometheus-alerts.yml): each names only metrics the service exports, all three
gauges have a rule, and promtool finds them valid and passes their unit tests
(deploy/prometheus-alerts.test.yml; Debian's `prometheus` package, which .ci/run installs)."""

import re
import shutil
import subprocess

import pytest
import yaml
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from tests.support.factories import ExpectationFactory
from tests.support.servers import ROOT

RULES = ROOT / "deploy" / "prometheus-alerts.yml"
GAUGES = {"intarget_export_pull_late", "intarget_export_sync_gaps", "intarget_export_last_pull_age_seconds"}


def rules() -> list[dict]:
    return [rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]


@pytest.mark.django_db
def test_every_rule_names_only_metrics_the_service_exports_and_each_gauge_has_one():
    ExpectationFactory()  # the gauges have series once there is an expectation
    exported = {
        sample.name
        for family in text_string_to_metric_families(Client().get("/metrics").content.decode())
        for sample in family.samples
    }
    named = set()
    for rule in rules():
        metrics = set(re.findall(r"\bintarget_export_\w+", rule["expr"]))
        assert metrics and metrics <= exported, (rule["alert"], metrics - exported)
        assert rule["annotations"]["summary"] and rule["labels"]["severity"] in ("warning", "critical")
        named |= metrics
    assert GAUGES <= named


@pytest.mark.engine_independent
@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed (apt-get install prometheus)")
def test_promtool_checks_the_rules_and_passes_their_unit_tests():
    for args in (["check", "rules", RULES.name], ["test", "rules", "prometheus-alerts.test.yml"]):
        done = subprocess.run(["promtool", *args], cwd=RULES.parent, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
