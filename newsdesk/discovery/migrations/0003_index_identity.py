from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('discovery', '0002_related'),
    ]

    operations = [
        migrations.CreateModel(
            name='IndexIdentity',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('token', models.CharField(max_length=32)),
            ],
        ),
    ]
