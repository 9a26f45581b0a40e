"""What the operator's Audience page reads off the record of use: visitors, requests per demo over time, latency,
what went wrong and what the audience said. Plain pandas on the rows, so the page only draws."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd

COLUMNS = ["id", "at", "session", "page", "task", "model", "seconds", "outcome", "sentence", "given"]
NOW_WINDOW = timedelta(minutes=5)  # a visitor with a request this recent is "here now"


@dataclass(frozen=True)
class Summary:
    visitors_now: int
    visitors_today: int
    requests_today: int
    over_time: pd.DataFrame  # minute (or hour), task, requests
    latency: pd.DataFrame  # task, requests, p50 and p95 seconds
    problems: pd.DataFrame  # task, outcome, sentence, times: what was refused or failed, most frequent first
    feedback: pd.DataFrame  # task, model, thumbs up, thumbs down
    comments: pd.DataFrame  # at, task, model, thumbs, comment: newest first


def table(rows: list[dict]) -> pd.DataFrame:
    """The rows as a frame with every column, times in UTC, even when there are none."""
    frame = pd.DataFrame(rows, columns=[*COLUMNS, "thumbs_up", "comment"])
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    frame["seconds"] = frame["seconds"].astype(float)
    return frame


def summarise(frame: pd.DataFrame, now: datetime | None = None) -> Summary:
    now = pd.Timestamp(now or datetime.now(UTC))
    today = frame[frame["at"] >= now.normalize()]
    return Summary(
        visitors_now=frame.loc[frame["at"] >= now - NOW_WINDOW, "session"].nunique(),
        visitors_today=today["session"].nunique(),
        requests_today=len(today),
        over_time=_over_time(frame),
        latency=_latency(frame[frame["outcome"] == "answered"]),
        problems=_problems(frame[frame["outcome"] != "answered"]),
        feedback=_feedback(frame),
        comments=_comments(frame),
    )


def _over_time(frame: pd.DataFrame) -> pd.DataFrame:
    """Requests per demo per minute, or per hour once the record spans more than a day."""
    span = frame["at"].max() - frame["at"].min() if len(frame) else timedelta(0)
    step = "h" if span > timedelta(days=1) else "min"
    counted = frame.groupby([frame["at"].dt.floor(step).rename("time"), "task"]).size()
    return counted.rename("requests").reset_index()


def _latency(answered: pd.DataFrame) -> pd.DataFrame:
    grouped = answered.groupby("task")["seconds"]
    frame = pd.DataFrame(
        {"requests": grouped.size(), "p50 (s)": grouped.quantile(0.5), "p95 (s)": grouped.quantile(0.95)}
    )
    return frame.reset_index().sort_values("requests", ascending=False, ignore_index=True)


def _problems(failed: pd.DataFrame) -> pd.DataFrame:
    counted = failed.groupby(["task", "outcome", "sentence"]).size().rename("times").reset_index()
    return counted.sort_values("times", ascending=False, ignore_index=True)


def _feedback(frame: pd.DataFrame) -> pd.DataFrame:
    given = frame.dropna(subset=["thumbs_up"])
    grouped = given.groupby(["task", "model"])["thumbs_up"]
    counted = pd.DataFrame({"thumbs up": grouped.sum(), "thumbs down": grouped.size() - grouped.sum()})
    return counted.astype(int).reset_index()


def _comments(frame: pd.DataFrame) -> pd.DataFrame:
    said = frame[frame["comment"].fillna("").str.strip() != ""].sort_values("at", ascending=False)
    thumbs = said["thumbs_up"].map({1: "👍", 0: "👎"}).fillna("")
    return pd.DataFrame(
        {"at": said["at"], "task": said["task"], "model": said["model"], "thumbs": thumbs, "comment": said["comment"]}
    ).reset_index(drop=True)
