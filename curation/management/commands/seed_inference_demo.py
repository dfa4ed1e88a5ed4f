"""Demo content for the inference check: a tiny dataset and two tiny, untrained policies built
offline under ``STORAGE_ROOT/demo/inference``, registered as Policies. Idempotent.

Then: ``python manage.py vla_check <printed dataset path> --policy <printed policy path>``, or a
curator runs the check from the dataset's page (or ``POST /api/inference/runs/``).
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from curation.inference import services
from curation.models import Policy


class Command(BaseCommand):
    help = "Build a tiny dataset and tiny SmolVLA/ACT policies offline and register the policies."

    def handle(self, *args, **options):
        from validators.inference import tiny

        root = Path(settings.STORAGE_ROOT) / "demo" / "inference"
        root.mkdir(parents=True, exist_ok=True)
        dataset = root / "so101_pick_demo"
        if not (dataset / "meta" / "info.json").is_file():
            tiny.make_dataset(dataset, episodes=3, frames=30, fps=30)
        vlm = root / "tiny_smolvlm"
        if not (vlm / "config.json").is_file():
            tiny.make_tiny_vlm(vlm)
        builds = [
            ("Tiny SmolVLA (demo, untrained)", "smolvla", root / "smolvla_demo",
             lambda folder: tiny.make_tiny_smolvla(folder, dataset, vlm)),
            ("Tiny ACT (demo, untrained)", "act", root / "act_demo",
             lambda folder: tiny.make_tiny_act(folder, dataset)),
        ]  # fmt: skip
        for name, policy_type, folder, build in builds:
            if not (folder / "model.safetensors").is_file():
                build(folder)
            if not Policy.objects.filter(name=name).exists():
                services.policy_create(
                    name=name,
                    path=str(folder),
                    policy_type=policy_type,
                    notes="Randomly initialised, built offline for the demo: it runs, it does "
                    "not do the task.",
                )
            self.stdout.write(f"policy {name}: {folder}")
        self.stdout.write(f"demo dataset: {dataset}")
