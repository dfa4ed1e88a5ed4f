"""``python manage.py science_precision [--sample FILE] [--defaults] [--min-precision 0.9]``

Precision and recall of the science rules on the labelled sample of real Hub repos, per
sub-domain, with the repos each key gets wrong. Run it after editing rules in the admin: by
default it checks the active rules (``--defaults``: the shipped ones). Exits 1 when a key's
precision is below ``--min-precision``.
"""

from django.core.management.base import BaseCommand, CommandError

from growth.core import science
from growth.core.domains import DEFAULT_RULES


class Command(BaseCommand):
    help = "Precision and recall of the science rules on the labelled sample of Hub repos."

    def add_arguments(self, parser):
        parser.add_argument("--sample", default=str(science.SAMPLE_PATH))
        parser.add_argument("--defaults", action="store_true", help="the shipped rules")
        parser.add_argument("--min-precision", type=float, default=0.9)

    def handle(self, *args, sample, defaults, min_precision, **options):
        try:
            items = science.load_sample(sample)
        except (OSError, science.SampleError) as exc:
            raise CommandError(str(exc)) from exc
        if defaults:
            rules = list(DEFAULT_RULES)
        else:
            from growth.selectors import active_rules

            rules = active_rules()
        scores = science.evaluate(items, rules)
        self.stdout.write(f"{len(items)} labelled repos, {len(rules)} rules\n")
        self.stdout.write(science.format_scores(scores))
        low = [
            s.key
            for s in scores.values()
            if s.precision is not None and s.precision < min_precision
        ]
        if low:
            raise CommandError(f"precision below {min_precision} for: {', '.join(low)}")
