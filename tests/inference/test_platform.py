"""The inference check inside the platform: models, services, the Celery task on a real worker,
the API, the run page, the dataset panel, the admin and ``manage.py vla_check``."""

import io
import json
import time
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils.text import capfirst
from rest_framework.test import APIClient

from curation.inference import services
from curation.models import InferenceRun

STEPS = 6


@pytest.fixture
def allow_test_datasets(settings, artefacts):
    settings.INFERENCE_DATASET_ROOTS = [artefacts]


@pytest.fixture
def policy(db, smolvla):
    return services.policy_create(
        name="tiny SmolVLA", path=str(smolvla), policy_type="smolvla", notes="test model"
    )


def api_client(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def wait_until_finished(run_id: int, timeout: float = 240.0) -> InferenceRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = InferenceRun.objects.get(pk=run_id)
        if run.is_finished:
            return run
        time.sleep(0.5)
    raise AssertionError(f"run {run_id} still {run.status} ({run.stage}) after {timeout} s")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_api_request_runs_on_the_inference_queue_and_stores_the_report(
    celery_worker, allow_test_datasets, policy, dataset, curator
):
    client = api_client(curator)
    response = client.post(
        "/api/inference/runs/",
        {
            "dataset_path": str(dataset),
            "policy": policy.pk,
            "steps": STEPS,
            "dataset_version_id": 7,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    run_id = response.json()["id"]
    assert response.json()["status"] == "queued"

    run = wait_until_finished(run_id)
    assert run.status == InferenceRun.Status.OK, run.error
    assert run.attempts == 1 and run.progress == 1.0
    assert run.device == "cpu" or run.device.startswith("cuda")
    assert run.action_p50_ms > 0 and run.chunk_p50_ms > 0 and run.achieved_hz > 0
    assert run.realtime_verdict == run.report["control"]["verdict"]
    assert run.report["per_action"]["count"] == STEPS
    assert run.report["outputs"]["shape_ok"] is True

    detail = client.get(f"/api/inference/runs/{run_id}/").json()
    assert detail["status"] == "ok" and detail["dataset_version_id"] == 7
    assert detail["report"]["determinism"]["identical"] is True
    listed = client.get("/api/inference/runs/", {"dataset_version_id": 7}).json()
    assert [r["id"] for r in listed["results"]] == [run_id]

    # A finished run delivered again (acks_late redelivery) is left alone.
    from curation.inference.tasks import run_inference_check

    # Wait for the redelivered task itself to finish (its result in the result backend), not for
    # an arbitrary time: a slow worker makes this wait longer, never makes it pass early.
    # (ignore_result=False: tasks store no result by default, this one must for get() to see it.)
    redelivered = run_inference_check.apply_async(
        args=[run_id], queue="inference", ignore_result=False
    )
    assert redelivered.get(timeout=240) is None
    assert redelivered.successful()
    again = InferenceRun.objects.get(pk=run_id)
    assert again.attempts == 1 and again.status == InferenceRun.Status.OK
    assert again.report == run.report


@pytest.mark.django_db
def test_executing_a_run_in_process_is_idempotent(allow_test_datasets, policy, dataset):
    run, created = services.inference_run_request(
        dataset_path=str(dataset), policy=policy, steps=STEPS
    )
    assert created
    done = services.inference_run_execute(run.pk)
    assert done.status == InferenceRun.Status.OK
    report = done.report
    assert services.inference_run_execute(run.pk) is None  # finished: nothing happens
    run.refresh_from_db()
    assert run.report == report and run.attempts == 1


@pytest.mark.django_db
def test_incompatible_dataset_is_stored_with_its_issues(allow_test_datasets, policy, other_dataset):
    run, _ = services.inference_run_request(dataset_path=str(other_dataset), policy=policy, steps=2)
    run = services.inference_run_execute(run.pk)
    assert run.status == InferenceRun.Status.INCOMPATIBLE
    assert {i["problem"] for i in run.report["issues"]} >= {"missing_camera", "state_dim"}
    assert run.action_p50_ms is None


@pytest.mark.django_db
def test_broken_policy_is_stored_as_failed_with_the_reason(allow_test_datasets, dataset, tmp_path):
    broken = services.policy_create(name="broken", path=str(tmp_path / "gone"))
    run, _ = services.inference_run_request(dataset_path=str(dataset), policy=broken, steps=2)
    run = services.inference_run_execute(run.pk)
    assert run.status == InferenceRun.Status.FAILED
    assert "does not exist" in run.error
    assert run.report["error"]["stage"] == "policy"


@pytest.mark.django_db
def test_a_run_the_worker_keeps_losing_is_failed(allow_test_datasets, policy, dataset):
    run, _ = services.inference_run_request(dataset_path=str(dataset), policy=policy)
    InferenceRun.objects.filter(pk=run.pk).update(
        status=InferenceRun.Status.RUNNING, attempts=services.MAX_ATTEMPTS
    )
    assert services.inference_run_execute(run.pk) is None
    run.refresh_from_db()
    assert run.status == InferenceRun.Status.FAILED
    assert "out of memory" in run.error


@pytest.mark.django_db
def test_asking_twice_returns_the_pending_run(allow_test_datasets, policy, dataset):
    first, created = services.inference_run_request(dataset_path=str(dataset), policy=policy)
    again, created_again = services.inference_run_request(dataset_path=str(dataset), policy=policy)
    assert created and not created_again and again.pk == first.pk
    other, created_other = services.inference_run_request(
        dataset_path=str(dataset), policy=policy, device="cpu"
    )
    assert created_other and other.pk != first.pk


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"dataset_path": "/etc"}, "dataset_path"),  # outside the platform's storage
        ({"device": "tpu"}, "device"),
        ({"steps": 0}, "steps"),
    ],
)
def test_request_validation(allow_test_datasets, policy, dataset, arguments, field):
    with pytest.raises(ValidationError) as error:
        services.inference_run_request(
            **{"dataset_path": str(dataset), "policy": policy, **arguments}
        )
    assert field in error.value.message_dict


@pytest.mark.django_db
def test_folder_without_metadata_is_refused(allow_test_datasets, policy, artefacts):
    (artefacts / "not_a_dataset").mkdir(exist_ok=True)
    with pytest.raises(ValidationError, match=r"no meta/info\.json"):
        services.inference_run_request(dataset_path=str(artefacts / "not_a_dataset"), policy=policy)


@pytest.mark.django_db
def test_api_permissions(allow_test_datasets, policy, dataset, researcher, curator):
    body = {"dataset_path": str(dataset), "policy": policy.pk}
    assert api_client().get("/api/inference/runs/").status_code in (401, 403)
    assert api_client().post("/api/inference/runs/", body, format="json").status_code in (401, 403)
    assert (
        api_client(researcher).post("/api/inference/runs/", body, format="json").status_code == 403
    )
    assert api_client(researcher).get("/api/inference/runs/").status_code == 200
    assert InferenceRun.objects.count() == 0

    bad = api_client(curator).post(
        "/api/inference/runs/", {**body, "dataset_path": "/etc"}, format="json"
    )
    assert bad.status_code == 400 and "dataset_path" in bad.json()
    policy.is_active = False
    policy.save()
    inactive = api_client(curator).post("/api/inference/runs/", body, format="json")
    assert inactive.status_code == 400 and "policy" in inactive.json()
    policies = api_client(researcher).get("/api/inference/policies/").json()
    assert policies["count"] == 0


@pytest.mark.django_db
def test_run_page_and_dataset_panel_show_the_report(
    allow_test_datasets, policy, dataset, client, curator, researcher
):
    run, _ = services.inference_run_request(dataset_path=str(dataset), policy=policy, steps=STEPS)
    run = services.inference_run_execute(run.pk)
    # A run on a server folder (no submission) is visible to curators only (issue 19, M1).
    client.force_login(researcher)
    assert client.get(reverse("inference-run", args=[run.pk])).status_code == 404
    client.force_login(curator)
    page = client.get(reverse("inference-run", args=[run.pk])).content.decode()
    assert "tiny SmolVLA" in page and "Per action" in page
    assert capfirst(run.report["control"]["verdict"]) in page
    assert "identical outputs" in page and "shapes match" in page

    template = Template(
        "{% load inference %}{% inference_panel dataset_path=path dataset_version_id=None %}"
    )
    for user, sees_run_and_form in ((curator, True), (researcher, False)):
        request = RequestFactory().get("/datasets/1/")
        request.user = user
        html = template.render(Context({"request": request, "path": str(dataset)}))
        assert ("tiny SmolVLA" in html and "Ran, fits the dataset" in html) is sees_run_and_form
        assert ("Run check" in html) is sees_run_and_form


@pytest.mark.django_db
def test_panel_form_queues_a_run_and_goes_back(
    allow_test_datasets, policy, dataset, client, curator
):
    client.force_login(curator)
    response = client.post(
        reverse("inference-run-request"),
        {"dataset_path": str(dataset), "policy": policy.pk, "device": "cpu", "steps": "5",
         "next": "/datasets/1/"},
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"] == "/datasets/1/"
    run = InferenceRun.objects.get()
    assert (run.requested_device, run.steps, run.requested_by) == ("cpu", 5, curator)


@pytest.mark.django_db
def test_admin_lists_policies_and_runs(admin_client, allow_test_datasets, policy, dataset):
    services.inference_run_request(dataset_path=str(dataset), policy=policy)
    assert admin_client.get("/admin/curation/policy/").status_code == 200
    runs = admin_client.get("/admin/curation/inferencerun/")
    assert runs.status_code == 200 and "tiny SmolVLA" in runs.content.decode()


@pytest.mark.django_db
def test_vla_check_command(dataset, other_dataset, smolvla):
    out = io.StringIO()
    call_command("vla_check", str(dataset), "--policy", str(smolvla), "--steps", "4",
                 "--chunks", "1", "--json", stdout=out)  # fmt: skip
    report = json.loads(out.getvalue())
    assert report["status"] == "ok" and report["per_action"]["count"] == 4

    with pytest.raises(CommandError) as incompatible:
        call_command(
            "vla_check", str(other_dataset), "--policy", str(smolvla), stdout=io.StringIO()
        )
    assert incompatible.value.returncode == 1
    with pytest.raises(CommandError) as unusable:
        call_command("vla_check", str(dataset), "--policy", str(smolvla), "--device", "tpu")
    assert unusable.value.returncode == 2


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_run_past_its_time_limit_is_stopped_and_failed(
    django_db_setup, allow_test_datasets, policy, dataset
):
    """A worker whose soft limit is 1 s: the check is interrupted and the run says why."""
    from tests.conftest import REPO, start_worker, stop_worker, wait_for_worker

    queue = "inference-time-limit-test"  # only this worker listens here
    worker = start_worker(queues=(queue,), concurrency=1, INFERENCE_SOFT_TIME_LIMIT="1")
    try:
        wait_for_worker(worker, queues=(queue,))
        run = InferenceRun.objects.create(dataset_path=str(dataset), policy=policy, steps=500)
        from curation.inference.tasks import run_inference_check

        run_inference_check.apply_async(args=[run.pk], queue=queue)
        run = wait_until_finished(run.pk, timeout=120)
    finally:
        stop_worker(worker)
        # kombu's filesystem transport leaves an exchange file for the queue in ./control/
        (REPO / "control" / f"{queue}.exchange").unlink(missing_ok=True)
    assert run.status == InferenceRun.Status.FAILED
    assert "time limit of 1 s" in run.error


@pytest.mark.django_db
def test_a_stalled_run_does_not_block_new_requests(allow_test_datasets, policy, dataset):
    from datetime import timedelta

    from django.utils import timezone

    from curation.inference.tasks import TIME_LIMIT

    stalled, _ = services.inference_run_request(dataset_path=str(dataset), policy=policy)
    long_ago = timezone.now() - timedelta(seconds=TIME_LIMIT + services.STALLED_GRACE_S + 1)
    InferenceRun.objects.filter(pk=stalled.pk).update(
        status=InferenceRun.Status.RUNNING, started_at=long_ago
    )
    fresh, created = services.inference_run_request(dataset_path=str(dataset), policy=policy)
    assert created and fresh.pk != stalled.pk
    stalled.refresh_from_db()
    assert stalled.status == InferenceRun.Status.FAILED
    assert "hard time limit" in stalled.error


@pytest.mark.django_db
def test_runs_page_lists_and_filters(allow_test_datasets, policy, dataset, client, curator):
    queued, _ = services.inference_run_request(dataset_path=str(dataset), policy=policy)
    failed = InferenceRun.objects.create(
        dataset_path="/elsewhere/ds", policy=policy, status=InferenceRun.Status.FAILED
    )
    assert client.get(reverse("inference-runs")).status_code == 302  # sign in first
    client.force_login(curator)  # runs on server folders are curators' (issue 19, M1)
    page = client.get(reverse("inference-runs")).content.decode()
    assert f'href="/inference/runs/{queued.pk}/"' in page
    assert f'href="/inference/runs/{failed.pk}/"' in page
    assert "tiny SmolVLA" in page and 'href="/inference/"' in page  # listed, and in the nav
    only_failed = client.get(reverse("inference-runs"), {"status": "failed"}).content.decode()
    assert f'href="/inference/runs/{failed.pk}/"' in only_failed
    assert f'href="/inference/runs/{queued.pk}/"' not in only_failed


@pytest.mark.django_db
def test_seed_inference_demo_is_idempotent(settings, tmp_path):
    settings.STORAGE_ROOT = tmp_path
    from curation.models import Policy

    out = io.StringIO()
    call_command("seed_inference_demo", stdout=out)
    call_command("seed_inference_demo", stdout=io.StringIO())
    assert Policy.objects.count() == 2
    dataset = tmp_path / "demo" / "inference" / "so101_pick_demo"
    assert f"demo dataset: {dataset}" in out.getvalue()
    assert (dataset / "meta" / "info.json").is_file()
    for policy in Policy.objects.all():
        assert (tmp_path / "demo" / "inference").resolve() in Path(policy.path).resolve().parents


@pytest.mark.django_db
def test_a_dataset_version_is_laid_out_by_the_resolver(settings, policy, dataset, curator):
    from tests.inference import resolvers

    settings.INFERENCE_DATASET_RESOLVER = "tests.inference.resolvers.copy_of_version"
    resolvers.VERSIONS[41] = dataset
    response = api_client(curator).post(
        "/api/inference/runs/", {"dataset_version_id": 41, "policy": policy.pk, "steps": 3},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    run = services.inference_run_execute(response.json()["id"])
    assert run.status == InferenceRun.Status.OK, run.error
    assert run.dataset_path == "" and run.dataset_version_id == 41
    laid_out = resolvers.LAID_OUT[-1]
    assert run.report["dataset_path"] == str(laid_out)
    assert not laid_out.exists()  # removed after the check

    missing, _ = services.inference_run_request(
        dataset_version_id=99, dataset_path="", policy=policy
    )
    missing = services.inference_run_execute(missing.pk)
    assert missing.status == InferenceRun.Status.FAILED
    assert "dataset version 99 cannot be laid out" in missing.error
