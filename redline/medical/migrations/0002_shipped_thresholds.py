from django.db import migrations


def load(apps, schema_editor):
    from redline.medical.thresholds import load as load_thresholds

    load_thresholds(apps.get_model("medical", "CapacityThreshold"))


class Migration(migrations.Migration):
    dependencies = [("medical", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
