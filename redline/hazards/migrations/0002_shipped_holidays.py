from django.db import migrations


def load(apps, schema_editor):
    from redline.hazards.holidays import load as load_days

    load_days(apps.get_model("hazards", "CalendarDay"))


class Migration(migrations.Migration):
    dependencies = [("hazards", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
