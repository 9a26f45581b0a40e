"""Chat assistant: answers stream token by token; presets, parameters, stop, clear, download."""

import streamlit as st

from pages import ui
from pipelines.chat_presets import PRESETS, ChatPreset
from pipelines.chat_prompt import ChatMessage
from pipelines.chat_transcript import stats_line, transcript_json, transcript_markdown
from pipelines.text_generation import MAX_NEW_TOKENS, TASK, ChatReply, GenerationSettings, stream_chat

HISTORY, PARTIAL, RUNNING, PENDING = "tg-history", "tg-partial", "tg-running", "tg-pending"

st.title("Chat assistant")
st.caption(
    "A real instruction-tuned language model answering on this machine's CPU, with no API key and no hub. "
    "Answers stream as the tokens are generated."
)

history: list[dict] = st.session_state.setdefault(HISTORY, [])
if (running := st.session_state.pop(RUNNING, None)) is not None:
    running.stop()  # a click (Stop or any other) interrupted the last answer: free the model now
if PARTIAL in st.session_state:
    history.append(st.session_state.pop(PARTIAL))  # keep what was said before the interruption


def generation_settings(preset: ChatPreset) -> GenerationSettings:
    """Sliders start at the preset's own defaults; each preset remembers its own values."""
    defaults, key = preset.settings, f"tg-{preset.key}"
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


with st.sidebar:
    preset = st.selectbox("Assistant", PRESETS, format_func=lambda item: item.label, key="tg-preset")
    context = None
    if preset.default_context is not None:
        context = st.text_area(
            "Company facts (the assistant answers from these)",
            preset.default_context,
            height=220,
            key=f"tg-{preset.key}-context",
        )
    with st.expander("Generation settings"):
        settings = generation_settings(preset)
    model = ui.pick_model(TASK, key="tg-model")
    if st.button("Clear conversation", icon=":material/delete:", disabled=not history, width="stretch"):
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
    )
    right.download_button(
        "JSON",
        transcript_json(history),
        "conversation.json",
        "application/json",
        disabled=not history,
        icon=":material/download:",
        width="stretch",
    )

for message in history:
    with st.chat_message(message["role"]):
        st.markdown(message["content"])
        if stats := message.get("stats"):
            st.caption(stats_line(stats))

if not history:
    st.caption("Try an example:")
    for column, example in zip(st.columns(len(preset.examples)), preset.examples, strict=True):
        column.button(
            example,
            key=f"tg-example-{example}",
            width="stretch",
            on_click=lambda text=example: st.session_state.__setitem__(PENDING, text),
        )

prompt = st.chat_input("Message the assistant") or st.session_state.pop(PENDING, None)


def keep_partial(reply: ChatReply):
    """Stream the reply, keeping what has arrived in the session in case a click interrupts it."""
    st.session_state[PARTIAL] = {"role": "assistant", "content": "", "stats": {"stopped_early": True}}
    st.session_state[RUNNING] = reply
    try:
        for chunk in reply:
            st.session_state[PARTIAL]["content"] += chunk
            yield chunk
    finally:
        reply.stop()


if prompt:
    history.append({"role": "user", "content": prompt})
    with st.chat_message("user"):
        st.markdown(prompt)
    with st.chat_message("assistant"):
        conversation = [ChatMessage(message["role"], message["content"]) for message in history]
        with st.spinner("Reading the conversation… (the first answer also loads the model)"):
            reply = ui.run_engine(stream_chat, conversation, preset.system_prompt(context), model.name, settings)
        if reply is None:
            history.pop()  # nothing was asked: the refused message does not stay in the conversation
        else:
            for notice in reply.prompt.notices:
                st.info(notice, icon=":material/content_cut:")
            st.button("Stop", icon=":material/stop_circle:", key="tg-stop")  # its click interrupts this run
            st.write_stream(keep_partial(reply))
            st.session_state.pop(PARTIAL, None)
            st.session_state.pop(RUNNING, None)
            history.append({"role": "assistant", "content": reply.text, "stats": reply.stats.as_dict()})
            st.rerun()
