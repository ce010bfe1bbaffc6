"""The fault scenarios of bench/load_faults.py, short: a few seconds of modest load each on the
deployed app (two uvicorn workers, real redis-server, stub APIs). Correctness only: every
update gets exactly one reply (a SIGKILLed worker's in-flight ones excepted), never a 5xx, the
app stays up. The figures come from
`python -m bench.load --faults`."""

from __future__ import annotations

from pathlib import Path

from bench.load_faults import SCENARIOS, run_all, table


async def test_every_update_gets_exactly_one_reply_through_every_fault(tmp_path: Path):
    outcomes = await run_all(list(SCENARIOS), rate=30, seconds=2.0, log=tmp_path / "app.log")
    report = table(outcomes)
    assert [outcome.scenario for outcome in outcomes] == list(SCENARIOS)
    for outcome in outcomes:
        assert outcome.updates > 0, report
        assert outcome.duplicated == 0, report
        if outcome.scenario == "worker killed":
            # A crash loses what that worker had acknowledged and not yet answered: platforms
            # do not redeliver after a 200. The other worker goes on answering the rest.
            assert outcome.lost <= outcome.updates // 10, report
        else:
            assert outcome.lost == 0, report
        assert outcome.server_errors == 0, report
        assert outcome.alive, report
    assert next(o for o in outcomes if o.scenario == "api 5xx").failures_served > 0, report
