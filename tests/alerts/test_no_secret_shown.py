"""No secret in any output or log line (assurance.md section 13): neither the webhook
secret, nor credentials in the webhook's URL, nor the SMTP password, whatever fails, at
the most verbose log level; nor in what a bad setting says when it stops the service."""

import base64

import pytest

from tests.alerts.conftest import WEBHOOK_SECRET, alerts_env, late_expectations
from tests.support.receivers import SmtpReceiver, WebhookReceiver
from tests.support.servers import migrate, run_manage, service_env

URL_PASSWORD = "url-pass-5b7e1f"
SMTP_PASSWORD = "smtp-pass-c40d2a"


def secrets() -> list[str]:
    return [WEBHOOK_SECRET, WEBHOOK_SECRET.removeprefix("whsec_"), URL_PASSWORD, SMTP_PASSWORD,
            base64.b64encode(f"hooks:{URL_PASSWORD}".encode()).decode()]


@pytest.mark.django_db(transaction=True)
def test_failing_and_succeeding_deliveries_show_no_secret(tmp_path):
    with WebhookReceiver(answers=[500, 500, 200]) as hook, SmtpReceiver(user="alerts", password="the right one") as smtp:
        env = alerts_env(
            tmp_path,
            LOG_LEVEL="DEBUG",
            ALERT_WEBHOOK_URL=hook.url.replace("http://", f"http://hooks:{URL_PASSWORD}@"),
            ALERT_WEBHOOK_SECRET=WEBHOOK_SECRET,
            ALERT_EMAIL_TO="ops@example.com",
            EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(smtp.port), EMAIL_HOST_USER="alerts", EMAIL_HOST_PASSWORD=SMTP_PASSWORD,
        )
        late_expectations(env, ["InTarget", "Backup"])
        runs = [run_manage(env, "send_alerts", "--once") for _ in range(3)]
        refused = run_manage({**env, "EMAIL_HOST_PASSWORD": "", "EMAIL_PORT": "9"}, "send_alerts", "--once")
    assert [run.returncode for run in runs] == [1, 1, 1]  # the webhook accepted at last; e-mail never
    assert "not delivered by webhook (HTTP 500)" in runs[0].stdout + runs[0].stderr
    assert "SMTPAuthenticationError" in runs[0].stdout + runs[0].stderr
    assert "delivered by webhook: 2" in runs[2].stdout
    assert len(hook.received) == 4 and smtp.messages == []
    shown = "".join(run.stdout + run.stderr for run in [*runs, refused])
    assert "ConnectionRefusedError" in shown
    for secret in secrets():
        assert secret not in shown


@pytest.mark.engine_independent
@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("ALERT_WEBHOOK_SECRET", f"whsec_{URL_PASSWORD}!", "ALERT_WEBHOOK_SECRET must be whsec_ followed by base64"),
        ("ALERT_WEBHOOK_SECRET", WEBHOOK_SECRET.removeprefix("whsec_"), "ALERT_WEBHOOK_SECRET must be whsec_"),
        ("ALERT_WEBHOOK_URL", f"ftp://hooks:{URL_PASSWORD}@example.com/", "ALERT_WEBHOOK_URL must be an http:// or https://"),
        ("ALERT_WEBHOOK_URL", f"https://hooks:{URL_PASSWORD}@example.com:port/", "ALERT_WEBHOOK_URL must be"),
        ("ALERT_INTERVAL", "0", "ALERT_INTERVAL must be a number of seconds above 0"),
        ("ALERT_INTERVAL", "soon", "ALERT_INTERVAL must be a number, not 'soon'"),
        ("ALERT_EMAIL_TO", "ops@example.com,oncall", "ALERT_EMAIL_TO must be comma-separated e-mail addresses; 'oncall'"),
        ("EMAIL_USE_SSL", "true", "EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be true"),
    ],
)
def test_a_bad_setting_stops_the_service_naming_it_never_showing_a_secret(tmp_path, variable, value, said):
    env = service_env(tmp_path, EMAIL_USE_TLS="true")
    migrate(env)
    done = run_manage({**env, variable: value}, "send_alerts", "--once")
    assert done.returncode != 0
    assert said in done.stderr
    assert URL_PASSWORD not in done.stdout + done.stderr
    assert WEBHOOK_SECRET.removeprefix("whsec_") not in done.stdout + done.stderr
