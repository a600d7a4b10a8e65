"""`dms process` and `dms task`: deploy the shipped models, run the letter distribution."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from dms.cli.main import main
from dms.cli.workflow_commands import parse_vars

ROOT = Path(__file__).resolve().parents[2]


def test_var_values_are_json_when_they_parse() -> None:
    assert parse_vars(('cosigners=["b.meier","c.schulz"]', "approved=true", "note=hallo",
                       "n=5")) == {"cosigners": ["b.meier", "c.schulz"], "approved": True,
                                   "note": "hallo", "n": 5}


def test_deploy_start_work_and_status(tmp_path: Path) -> None:
    env = {"DMS_HOME": str(tmp_path), "DMS_CONFIG_DIR": str(ROOT / "config")}
    runner = CliRunner()

    def dms(*args: str) -> str:
        result = runner.invoke(main, list(args), env=env)
        assert result.exit_code == 0, result.output
        return result.output

    info = json.loads(dms("init", "--json"))
    # init deploys the shipped models and gives the demo clerk a few tasks
    assert "cosign v1" in info["processes"] and len(info["demo_instances"]) == 3
    demo_tasks = json.loads(dms("--user", "mueller", "task", "list", "--json"))
    assert {t["reason"] for t in demo_tasks} == {"Ihnen zugewiesen", "Aufgabe Ihrer Gruppe 63"}
    assert len(demo_tasks) == 3
    deployed = json.loads(dms("process", "deploy",
                              str(ROOT / "config/processes/resubmission.bpmn"), "--json"))
    key = deployed[0]["key"]
    assert json.loads(dms("process", "list", "--json"))[0]["version"] == 1
    instance = json.loads(dms("process", "start", key, "--var", "owner=mueller",
                              "--var", "resubmitOn=2020-01-01T08:00:00+01:00", "--json"))["id"]
    status = json.loads(dms("process", "status", str(instance), "--json"))
    assert status["status"] == "running" and status["jobs"][0]["kind"] == "timer"
    dms("worker", "--once")
    tasks = json.loads(dms("--user", "mueller", "task", "list", "--instance", str(instance),
                           "--json"))
    assert [t["instance"] for t in tasks] == [instance]
    dms("--user", "mueller", "task", "complete", str(tasks[0]["id"]), "--remark", "erledigt")
    assert json.loads(dms("process", "status", str(instance), "--json"))["status"] == "completed"
