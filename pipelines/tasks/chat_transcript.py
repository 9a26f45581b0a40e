"""A chat conversation as files a presenter can keep: Markdown to read, JSON to process."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

_SPEAKERS = {"system": "System prompt", "user": "You", "assistant": "Assistant"}


def transcript_markdown(messages: Sequence[dict[str, Any]], title: str = "Conversation") -> str:
    """One section per message, in order, with each answer's timing when it is known."""
    parts = [f"# {title}\n"]
    for message in messages:
        parts.append(f"**{_SPEAKERS.get(message['role'], message['role'])}:**\n\n{message['content']}\n")
        if stats := message.get("stats"):
            parts.append(f"_{stats_line(stats)}_\n")
    return "\n".join(parts)


def transcript_json(messages: Sequence[dict[str, Any]]) -> str:
    return json.dumps(list(messages), indent=2, ensure_ascii=False)


def stats_line(stats: dict[str, Any]) -> str:
    """ "first token 0.41 s · 15.2 tokens/s · 38 tokens", plus "stopped" when cut short (by the visitor, or
    "stopped by the guard" when a sentence failed the facts)."""
    parts = []
    if (first := stats.get("first_token_seconds")) is not None:
        parts.append(f"first token {first:.2f} s")
    if "tokens_per_second" in stats:
        parts += [f"{stats['tokens_per_second']:.1f} tokens/s", f"{stats['new_tokens']} tokens"]
    if stats.get("stopped_by_guard"):
        parts.append("stopped by the guard")
    elif stats.get("stopped_early"):
        parts.append("stopped")
    return " · ".join(parts)
