"""ApiKey moves to the ``access`` app. The table is renamed, never recreated, so every
key issued before keeps working (access/migrations/0001_initial.py takes the model over)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("intarget_export", "0002_stamping_triggers")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.AlterModelTable("apikey", "access_apikey")],
            state_operations=[migrations.DeleteModel("apikey")],
        )
    ]
