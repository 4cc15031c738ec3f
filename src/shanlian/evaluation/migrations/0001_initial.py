"""Indicator frameworks: the tree of indicators, its grade cut-offs."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('places', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Framework',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('grade', 'Grade assessment (1A–5A)'), ('brand', 'Brand organization evaluation'), ('station', 'Station evaluation')], max_length=8, verbose_name='kind')),
                ('org_kind', models.CharField(blank=True, choices=[('association', 'Association (社会团体)'), ('service_institution', 'Service institution (社会服务机构)'), ('foundation', 'Foundation (基金会)')], max_length=20, verbose_name='kind of organization')),
                ('year', models.PositiveSmallIntegerField(verbose_name='year')),
                ('version', models.PositiveSmallIntegerField(default=1, verbose_name='version')),
                ('title', models.CharField(max_length=128, verbose_name='title')),
                ('total', models.DecimalField(decimal_places=2, max_digits=7, verbose_name='total points')),
                ('status', models.CharField(choices=[('draft', 'Draft'), ('published', 'Published'), ('retired', 'Retired')], default='draft', max_length=10, verbose_name='status')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                ('published_at', models.DateTimeField(blank=True, null=True, verbose_name='published')),
                ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('previous', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='evaluation.framework', verbose_name='previous version')),
                ('published_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('region', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='places.division', verbose_name='region')),
            ],
            options={
                'verbose_name': 'indicator framework',
                'verbose_name_plural': 'indicator frameworks',
                'ordering': ['-year', 'kind', 'org_kind', '-version'],
            },
        ),
        migrations.CreateModel(
            name='GradeBand',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('grade', models.CharField(max_length=2, verbose_name='grade')),
                ('minimum', models.DecimalField(decimal_places=2, max_digits=7, verbose_name='from (points)')),
                ('framework', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='bands', to='evaluation.framework')),
            ],
            options={
                'verbose_name': 'grade cut-off',
                'verbose_name_plural': 'grade cut-offs',
                'ordering': ['framework', '-minimum'],
            },
        ),
        migrations.CreateModel(
            name='Indicator',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=16, verbose_name='code')),
                ('level', models.PositiveSmallIntegerField(verbose_name='level')),
                ('position', models.PositiveSmallIntegerField(verbose_name='position')),
                ('name', models.CharField(max_length=200, verbose_name='indicator')),
                ('points', models.DecimalField(decimal_places=2, max_digits=7, verbose_name='points')),
                ('kind', models.CharField(choices=[('normal', 'Indicator'), ('bonus', 'Bonus item'), ('deduction', 'Deduction item')], default='normal', max_length=10, verbose_name='kind')),
                ('scoring', models.CharField(blank=True, choices=[('points', 'Points'), ('levels', 'Level descriptors (1–4)'), ('yes_no', 'Yes or no')], max_length=8, verbose_name='scored by')),
                ('levels', models.JSONField(blank=True, default=list, verbose_name='levels')),
                ('criteria', models.TextField(blank=True, verbose_name='how it is scored')),
                ('evidence_required', models.BooleanField(default=False, verbose_name='evidence required')),
                ('framework', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='indicators', to='evaluation.framework', verbose_name='framework')),
                ('parent', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='children', to='evaluation.indicator', verbose_name='parent')),
            ],
            options={
                'verbose_name': 'indicator',
                'verbose_name_plural': 'indicators',
                'ordering': ['framework', 'code'],
            },
        ),
        migrations.AddConstraint(
            model_name='framework',
            constraint=models.UniqueConstraint(fields=('region', 'kind', 'org_kind', 'year', 'version'), name='evaluation_framework_version'),
        ),
        migrations.AddConstraint(
            model_name='framework',
            constraint=models.CheckConstraint(condition=models.Q(('total__gt', 0)), name='evaluation_framework_total_positive'),
        ),
        migrations.AddConstraint(
            model_name='framework',
            constraint=models.CheckConstraint(condition=models.Q(('version__gte', 1)), name='evaluation_framework_version_positive'),
        ),
        migrations.AddConstraint(
            model_name='framework',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'draft'), _negated=True), ('published_at__isnull', True), _connector='OR'), name='evaluation_framework_draft_unpublished'),
        ),
        migrations.AddConstraint(
            model_name='framework',
            constraint=models.CheckConstraint(condition=models.Q(('status', 'draft'), ('published_at__isnull', False), _connector='OR'), name='evaluation_framework_published_at'),
        ),
        migrations.AddConstraint(
            model_name='gradeband',
            constraint=models.UniqueConstraint(fields=('framework', 'grade'), name='evaluation_band_grade_once'),
        ),
        migrations.AddConstraint(
            model_name='gradeband',
            constraint=models.UniqueConstraint(fields=('framework', 'minimum'), name='evaluation_band_minimum_once'),
        ),
        migrations.AddConstraint(
            model_name='gradeband',
            constraint=models.CheckConstraint(condition=models.Q(('minimum__gt', 0)), name='evaluation_band_minimum_positive'),
        ),
        migrations.AddConstraint(
            model_name='indicator',
            constraint=models.UniqueConstraint(fields=('framework', 'code'), name='evaluation_indicator_code_once'),
        ),
        migrations.AddConstraint(
            model_name='indicator',
            constraint=models.CheckConstraint(condition=models.Q(('points__gt', 0)), name='evaluation_indicator_points_positive'),
        ),
        migrations.AddConstraint(
            model_name='indicator',
            constraint=models.CheckConstraint(condition=models.Q(('level__gte', 1), ('level__lte', 4)), name='evaluation_indicator_level'),
        ),
        migrations.AddConstraint(
            model_name='indicator',
            constraint=models.CheckConstraint(condition=models.Q(('kind', 'normal'), ('level', 1), _connector='OR'), name='evaluation_indicator_bonus_first_level'),
        ),
        migrations.AddConstraint(
            model_name='indicator',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('level', 1), ('parent__isnull', True)), models.Q(('level__gt', 1), ('parent__isnull', False)), _connector='OR'), name='evaluation_indicator_root_level'),
        ),
    ]
