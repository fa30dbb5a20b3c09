"""Takes over ApiKey from intarget_export (its table already exists: renamed there)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [("intarget_export", "0003_apikey_moves_to_access")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ApiKey",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(help_text="Who uses this key, e.g. 'InTarget production'.", max_length=100)),
                        ("prefix", models.CharField(db_index=True, editable=False, max_length=16)),
                        ("key_hash", models.CharField(editable=False, max_length=64, unique=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("last_used_at", models.DateTimeField(blank=True, editable=False, null=True)),
                        ("revoked_at", models.DateTimeField(blank=True, null=True)),
                    ],
                    options={"verbose_name": "API key", "ordering": ["-created_at"]},
                ),
            ],
            database_operations=[],
        )
    ]
