from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("access", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="apikey",
            name="feeds",
            field=models.JSONField(blank=True, default=list, help_text="Feeds this key opens; none selected: every feed."),
        ),
        migrations.AddField(
            model_name="apikey",
            name="allowed_networks",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="Networks or addresses (IPv4, IPv6) requests may come from; none: any address.",
            ),
        ),
        migrations.AddField(
            model_name="apikey",
            name="expires_at",
            field=models.DateTimeField(
                blank=True, null=True, help_text="UTC; from then on the key is refused like a wrong one."
            ),
        ),
        migrations.AddField(
            model_name="apikey",
            name="direction",
            field=models.CharField(
                choices=[("pull", "pull (InTarget reads feeds)"), ("push", "push (the product sends rows)")],
                default="pull",
                max_length=4,
            ),
        ),
    ]
