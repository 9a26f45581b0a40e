"""Text generation: a chat assistant (or, with a base model, text continuation) streamed token by token."""

import contextlib
import uuid
from collections.abc import Iterable
from dataclasses import asdict

import streamlit as st

from pages import feedback, handout, links, model_state, ui
from pages.links import LinkParameter
from pipelines.assistant.chat_presets import COMPLETION_EXAMPLES, COMPLETION_SETTINGS, PRESETS, ChatPreset
from pipelines.assistant.replies import GroundedReply, answer_from_facts
from pipelines.errors import ShowroomError
from pipelines.reports.assistant_report import load_report
from pipelines.reports.handout import ChatTurn
from pipelines.serving.chat_prompt import ChatMessage
from pipelines.tasks import snippets
from pipelines.tasks.chat_transcript import stats_line, transcript_json, transcript_markdown
from pipelines.tasks.snippets import CodeSnippet
from pipelines.tasks.text_generation import (
    MAX_NEW_TOKENS,
    TASK,
    GenerationSettings,
    StreamedReply,
    chats,
    stream_chat,
    stream_completion,
)

HISTORY, PARTIAL, RUNNING, PENDING = "tg-history", "tg-partial", "tg-running", "tg-pending"
COMPLETION = "tg-completion"

st.title("Chat assistant")
st.caption(
    "A real instruction-tuned language model answering on this machine's CPU, with no API key and no hub. "
    "Answers stream as the tokens are generated."
)

history: list[dict] = st.session_state.setdefault(HISTORY, [])
links.open_from_link("text-generation", [LinkParameter("text", PENDING, links.text)])  # asked as the first message
if (running := st.session_state.pop(RUNNING, None)) is not None:
    running.stop()  # a click (Stop or any other) interrupted the last answer: free the model now
if PARTIAL in st.session_state:
    history.append(st.session_state.pop(PARTIAL))  # keep what was said before the interruption


def generation_settings(defaults: GenerationSettings, key: str) -> GenerationSettings:
    """Sliders start at the preset's own defaults; each preset remembers its own values."""
    max_new_tokens = st.slider("Max new tokens", 16, MAX_NEW_TOKENS, defaults.max_new_tokens, 16, key=f"{key}-max")
    sample = st.radio("Decoding", ["Greedy", "Sampling"], horizontal=True, key=f"{key}-decoding") == "Sampling"
    temperature = st.slider("Temperature", 0.05, 2.0, defaults.temperature, 0.05, disabled=not sample, key=f"{key}-t")
    top_p = st.slider("Top-p", 0.05, 1.0, defaults.top_p, 0.05, disabled=not sample, key=f"{key}-top-p")
    penalty = st.slider(
        "Repetition penalty",
        1.0,
        2.0,
        defaults.repetition_penalty,
        0.05,
        key=f"{key}-penalty",
        help="Above 1 discourages repeated lines; keep it at 1 when the answer should quote the facts.",
    )
    return GenerationSettings(max_new_tokens, sample, temperature, top_p, penalty)


def keep_partial(chunks: Iterable[str], reply: StreamedReply | None):
    """Stream the chunks, keeping what has arrived in the session in case a click interrupts it."""
    st.session_state[PARTIAL] = {"role": "assistant", "content": "", "stats": {"stopped_early": True}}
    st.session_state[RUNNING] = reply
    try:
        for chunk in chunks:
            st.session_state[PARTIAL]["content"] += chunk
            yield chunk
    finally:
        if reply is not None:
            reply.stop()


def show_notices(notices: list[str]) -> None:
    for notice in notices:
        st.info(notice, icon=":material/content_cut:")


def stream_reply(
    reply: StreamedReply | None, notices: list[str], chunks: Iterable[str] | None = None, doing: str = ""
) -> dict:
    """Notices, a Stop button and the streamed text (`chunks`, or the reply's own tokens), under a spinner
    saying `doing` when given; the answer, for the history, once done. A declined question has no reply:
    its sentence is shown as it is."""
    show_notices(notices)
    if reply is not None:
        st.button("Stop", icon=":material/stop_circle:", key="tg-stop")  # its click interrupts this run
        with ui.place_in_line("Reading the conversation") as on_wait:
            reply.wait_for_first_token(on_wait)
    try:
        with st.spinner(doing) if doing else contextlib.nullcontext():
            text = st.write_stream(keep_partial(reply if chunks is None else chunks, reply))
    except ShowroomError as error:  # the model stopped answering half way: what arrived stays, with why
        text = st.session_state[PARTIAL]["content"]
        notices = [*notices, str(error)]
        show_notices([str(error)])
    st.session_state.pop(PARTIAL, None)
    st.session_state.pop(RUNNING, None)
    # The notices stay with the answer: the rerun that follows redraws the page from the history.
    answer = {"role": "assistant", "content": text, "notices": notices}
    return answer | ({"stats": reply.stats.as_dict()} if reply is not None else {})


def grounded_answer(grounded: GroundedReply) -> dict:
    """Stream the answer through the guard: the visitor reads each sentence once it has passed, typed out
    as it is let through; what the guard held back is kept for the presenter's explanation."""
    checking = ui.CHECKING if grounded.reply is not None else ""  # the first sentence takes a few seconds to end
    answer = stream_reply(grounded.reply, grounded.notices, ui.typed_out(grounded), checking)
    answer |= {"content": grounded.text, "sources": grounded.source_texts}
    if grounded.problems:
        answer["caught"] = {"said": grounded.caught, "problems": grounded.problems, "replaced": grounded.replaced}
        answer["stats"] = answer.get("stats", {}) | {"stopped_by_guard": True}
    if grounded.declined:
        answer["note"] = "No fact is close enough to the question, so the model was not asked to make one up."
    return answer


def show_sources(message: dict) -> None:
    if note := message.get("note"):
        st.caption(note)
    if caught := message.get("caught"):
        with st.expander("What the guard caught", icon=":material/shield:"):
            st.caption("The model wrote this, which the visitor never saw:")
            st.text(caught["said"])
            for problem in caught["problems"]:
                st.markdown(f"- {problem}")
            if caught["replaced"]:
                st.caption("So the model was stopped there, and the facts themselves were shown instead.")
            else:
                st.caption("So the model was stopped there; what it said before stands.")
    if sources := message.get("sources"):
        label = "Answered from 1 fact" if len(sources) == 1 else f"Answered from {len(sources)} facts"
        with st.expander(label, icon=":material/fact_check:"):
            for source in sources:
                st.markdown(f"> {source}")


def code_behind(
    question: str, answer: dict, preset: ChatPreset, context: str | None, model: str, settings: GenerationSettings
) -> dict:
    """The model call behind an answer, to show under it; none for a declined question (no model was asked)."""
    if preset.grounded and not answer.get("sources"):
        return {}
    system = preset.system_prompt("\n".join(answer["sources"]) if preset.grounded else context)
    code = snippets.chat(question, system, model, settings.generate_kwargs(), preset.key if preset.grounded else None)
    return {"code": asdict(code)}


def example_buttons(examples: tuple[str, ...]) -> None:
    st.caption("Try an example:")
    ui.example_buttons(examples, state_key=PENDING, key_prefix="tg")


def assistant_report() -> None:
    """How the grounded assistant did on the project's question sets, measured at set-up."""
    report = load_report()
    with st.expander("Model report", icon=":material/analytics:"):
        if report is None:
            st.caption(
                "Not measured yet: the report is written once the models are ready (in the background of `make run`, "
                "or by `make models` up front)."
            )
            return
        st.caption(
            f"Greedy, on the project's question sets (assets/text); declines below similarity "
            f"{report['threshold']}, chosen on the {report['threshold_chosen_on']} set."
        )
        for item, column in zip(report["sets"], st.columns(len(report["sets"])), strict=True):
            column.markdown(f"**{item['shop']}**")
            column.metric(f"Answerable right (of {item['answerable']})", f"{item['answerable_right']:.0%}")
            column.metric(f"Unanswerable declined (of {item['unanswerable']})", f"{item['unanswerable_declined']:.0%}")
        misses = [{"shop": item["shop"], **miss} for item in report["sets"] for miss in item["misses"]]
        st.dataframe(
            [{key: miss[key] for key in ("shop", "question", "answer", "score")} for miss in misses],
            hide_index=True,
            width="stretch",
        )


def recorded(answer: dict, prompt: str, model: str, called: ui.Called) -> dict:
    """The answer, put in the visitor's handout and given its row in the record of use, timed to its last word:
    answered, or refused with the sentence the visitor read where the assistant declined (no fact was close
    enough)."""
    declined = "note" in answer
    seconds = answer.get("stats", {}).get("seconds") or called.seconds
    outcome, sentence = ("refused", answer["content"]) if declined else ("answered", "")
    request = feedback.record(TASK, model, seconds, outcome, sentence, given=prompt)
    turn = ChatTurn(prompt, answer["content"], tuple(answer.get("sources", ())), tuple(answer.get("notices", ())))
    handout.keep(f"chat-{uuid.uuid4().hex}", TASK, model, turn, [], seconds)
    return answer | {"request": request}


def shared(message: dict) -> dict:
    """A message as the visitor downloads it: without its row number in the server's record of use."""
    return {key: value for key, value in message.items() if key != "request"}


def chat_page(preset: ChatPreset, context: str | None, settings: GenerationSettings, model: str) -> None:
    if preset.grounded:
        assistant_report()
    for message in history:
        with st.chat_message(message["role"]):
            show_notices(message.get("notices", []))
            st.markdown(message["content"])
            show_sources(message)
            if stats := message.get("stats"):
                st.caption(stats_line(stats))
            if code := message.get("code"):
                ui.show_code(CodeSnippet(**code))
            feedback.thumbs(message.get("request"))
    if not history:
        example_buttons(preset.examples)
    prompt = st.chat_input("Message the assistant", key="tg-chat") or st.session_state.pop(PENDING, None)
    if not prompt:
        return
    history.append({"role": "user", "content": prompt})
    with st.chat_message("user"):
        st.markdown(prompt)
    with st.chat_message("assistant"):
        conversation = [ChatMessage(message["role"], message["content"]) for message in history]
        with st.spinner("Starting… (the first answer also loads the model)"):
            if preset.grounded:
                called = ui.engine_call(answer_from_facts, conversation, preset.facts(context), model, settings)
            else:
                called = ui.engine_call(stream_chat, conversation, preset.system_prompt(context), model, settings)
        if (reply := called.result) is None:
            feedback.record(TASK, model, called.seconds, called.outcome, called.sentence, given=prompt)
            history.pop()  # nothing was asked: the refused message does not stay in the conversation
            return
        answer = grounded_answer(reply) if preset.grounded else stream_reply(reply, reply.prompt.notices)
        answer = recorded(answer, prompt, model, called)
        history.append(answer | code_behind(prompt, answer, preset, context, model, settings))
    st.rerun()


def completion_page(settings: GenerationSettings, model: str) -> None:
    """Base models have no chat format: they continue the text they are given."""
    st.info("This is a base model: it continues your text rather than answering it.", icon=":material/edit_note:")
    if PENDING in st.session_state:
        st.session_state[COMPLETION] = st.session_state.pop(PENDING)
    text = st.text_area("Beginning of a text", key=COMPLETION, height=120)
    example_buttons(COMPLETION_EXAMPLES)
    for message in history[1:2]:
        with st.container(border=True):
            st.caption("Continuation")
            st.markdown(message["content"])
            st.caption(stats_line(message["stats"]))
            feedback.thumbs(message.get("request"))
    if not st.button("Continue the text", type="primary", icon=":material/play_arrow:"):
        return
    history[:] = [{"role": "user", "content": text}]
    with st.container(border=True):
        with st.spinner("Starting… (the first run also loads the model)"):
            called = ui.engine_call(stream_completion, text, model, settings)
        if called.result is None:
            feedback.record(TASK, model, called.seconds, called.outcome, called.sentence, given=text)
            history.clear()
            return
        history.append(recorded(stream_reply(called.result, called.result.prompt.notices), text, model, called))
    st.rerun()


with st.sidebar:
    model = ui.pick_model(TASK, key="tg-model")
model_state.wait_for(model)
with st.sidebar:
    chat_mode = ui.run_engine(chats, model.name)
    preset, context = None, None
    if chat_mode:
        preset = st.selectbox("Assistant", PRESETS, format_func=lambda item: item.label, key="tg-preset")
        if preset.default_context is not None:
            context = st.text_area(
                "Company facts (the assistant answers from these)",
                preset.default_context,
                height=220,
                key=f"tg-{preset.key}-context",
            )
    with st.expander("Generation settings"):
        if preset is not None:
            settings = generation_settings(preset.settings, f"tg-{preset.key}")
        else:
            settings = generation_settings(COMPLETION_SETTINGS, "tg-completion-settings")
    if st.button("Clear conversation", icon=":material/delete:", disabled=not history, width="stretch", key="tg-clear"):
        history.clear()
        st.rerun()
    left, right = st.columns(2)
    left.download_button(
        "Markdown",
        transcript_markdown(history),
        "conversation.md",
        "text/markdown",
        disabled=not history,
        icon=":material/download:",
        width="stretch",
        on_click="ignore",
    )
    right.download_button(
        "JSON",
        transcript_json([shared(message) for message in history]),
        "conversation.json",
        "application/json",
        disabled=not history,
        icon=":material/download:",
        width="stretch",
        on_click="ignore",
    )

ui.model_card(model)
first_question = next((message["content"] for message in history if message["role"] == "user"), None)
links.keep_in_link(text=first_question or st.session_state.get(PENDING))
if chat_mode:
    chat_page(preset, context, settings, model.name)
elif chat_mode is not None:
    completion_page(settings, model.name)
