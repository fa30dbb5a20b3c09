from django.db import migrations

from feeds import db_stamping


class Migration(migrations.Migration):
    dependencies = [
        ("intarget_export", "0001_initial"),
        ("players", "0001_initial"),
        ("payments", "0001_initial"),
        ("games", "0001_initial"),
        ("sports", "0001_initial"),
    ]

    operations = [migrations.RunPython(db_stamping.install, db_stamping.uninstall)]
