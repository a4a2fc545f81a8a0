"""Rendering `tfcli memory`: inference, training, and the estimate beside a measurement."""

from __future__ import annotations

from tfcli.analysis.memory import GROUP_SIZE, MemoryReport, TrainingPlan
from tfcli.render.fmt import human, human_bytes, percent
from tfcli.render.layout import Col, FitTable
from tfcli.spec.tally import LABELS


def _fits(total: int, device: int | None) -> str:
    if device is None:
        return ""
    return "[green]fits[/]" if total <= device else f"[red]does not fit[/] ({percent(total, device)} of the device)"


def _bytes(n: int | None) -> str:
    return "—" if n is None else human_bytes(n)


def render_memory(r: MemoryReport, console) -> None:
    x = r.x
    inputs = ", ".join(f"{k} {v:,}" for k, v in x.lengths.items() if k != "one")
    device = f" · {r.device_name}: {human_bytes(r.device_bytes)}" if r.device_bytes is not None else ""
    console.print(f"[bold]{r.name}[/]  [dim]{human(r.params)} parameters ({r.params:,}) · batch {x.batch} · "
                  f"{inputs} · {r.dtype}{device}[/]")
    console.print()
    console.print("[bold]Inference[/]")
    t = FitTable([Col("part", justify="left", wrap=True, min_width=14), Col("bytes"),
                  Col("note", justify="left", wrap=True, drop=1, min_width=20)])
    for f in r.formats:
        note = f.note or ("the weights as stored" if f.name == r.dtype else "")
        t.add_row(f"weights {f.name}", human_bytes(f.bytes), note)
    if r.kv_cache_bytes is None:
        t.add_row("KV cache", "—", "not a generating decoder")
    else:
        t.add_row(f"KV cache ({x.batch} × {x.tgt_len or x.tokens:,} tokens)", human_bytes(r.kv_cache_bytes),
                  f"{human_bytes(r.kv_per_token_bytes)} per token (all layers, K and V)")
    if r.prefill_bytes is None:
        t.add_row("prefill activations", "—", "not modelled for this family (see the note)")
        t.add_row(f"[bold]total ({r.dtype}, weights only)[/]", f"[bold]{human_bytes(r.inference_total_bytes)}[/]", "")
    else:
        t.add_row("prefill activations", human_bytes(r.prefill_bytes), "widest point of a forward without gradients")
        t.add_row(f"[bold]total ({r.dtype})[/]", f"[bold]{human_bytes(r.inference_total_bytes)}[/]",
                  _fits(r.inference_total_bytes, r.device_bytes))
    t.print(console)
    if r.device_bytes is not None:
        if r.max_context is not None:
            trained = f" (trained to {r.trained_context:,})" if r.trained_context else ""
            console.print(f"longest context that fits at batch {x.batch}: [bold]{r.max_context:,}[/] tokens{trained}")
        elif r.kv_cache_bytes is not None and x.seq_len is not None:
            console.print(f"no context fits at batch {x.batch}")
        if r.max_batch is not None:
            console.print(f"largest batch that fits at this input: [bold]{r.max_batch:,}[/]")
    console.print()
    for plan in (r.plan, r.plan_checkpointed):
        if plan is not None:
            console.print(_plan_title(plan))
            _plan_table(plan, r).print(console)
            if plan.activations_bytes is not None and r.device_bytes is not None:
                console.print(f"{human_bytes(plan.total_bytes)} per device: {_fits(plan.total_bytes, r.device_bytes)}")
    if r.fits_with:
        console.print(f"training does not fit one device; it fits with {' or '.join(r.fits_with)}")
    elif (r.plan is not None and r.plan.activations_bytes is not None and r.device_bytes is not None
          and r.plan.total_bytes > r.device_bytes):
        console.print("training does not fit even at --zero 3 over 4096 devices or the widest --tp: "
                      "lower --batch/--seq-len or checkpoint activations")
    if r.measurement is not None:
        m = r.measurement
        console.print()
        console.print(f"[bold]Activations kept for backward: estimate vs measured[/] ({m.device}, {m.dtype}, "
                      f"{m.tensors} tensors saved by autograd)")
        _measured_table(r).print(console)
    console.print(f"[dim]int8/int4: the blocks' matrices quantised, one fp16 scale per {GROUP_SIZE} weights. "
                  "Activations: what tfcli's modules keep for backward (fused attention, no dropout); "
                  "--measure checks them against autograd.[/]")
    for note in r.notes + x.notes:
        console.print(f"[dim]note: {note}[/]")


def _plan_title(p: TrainingPlan) -> str:
    precision = "mixed bf16" if p.dtype == "bf16" else "mixed fp16" if p.dtype == "fp16" else "fp32"
    degrees = f"dp {p.dp} · tp {p.tp} · pp {p.pp} · ZeRO {p.zero}"
    return (f"[bold]Training per device[/] ({p.optimizer}, {precision}, {degrees}"
            f"{', activation checkpointing' if p.checkpointing else ''})")


def _plan_table(p: TrainingPlan, r: MemoryReport) -> FitTable:
    t = FitTable([Col("part", justify="left", wrap=True, min_width=14), Col("bytes")])
    t.add_row("weights", human_bytes(p.weights_bytes))
    t.add_row("gradients", human_bytes(p.gradients_bytes))
    if p.master_bytes:
        t.add_row("fp32 master weights", human_bytes(p.master_bytes))
    t.add_row(f"optimizer states ({p.optimizer})", human_bytes(p.optimizer_bytes))
    t.add_row("activations kept for backward", _bytes(p.activations_bytes))
    if p.loss_bytes:
        t.add_row("loss (fp32 log-probabilities)", human_bytes(p.loss_bytes))
    if p.activations_bytes is None:  # no verdict on a total that lacks the activations
        t.add_row("[bold]total[/] (without the activations)", f"[bold]{human_bytes(p.total_bytes)}[/]")
        return t
    t.add_row("[bold]total[/]", f"[bold]{human_bytes(p.total_bytes)}[/]")
    return t


def _measured_table(r: MemoryReport) -> FitTable:
    m = r.measurement
    t = FitTable([Col("category", justify="left", wrap=True, min_width=12), Col("estimate"), Col("measured"),
                  Col("difference")])
    estimate = r.saved_by_category
    for c in sorted(set(estimate) | set(m.by_category), key=lambda c: -m.by_category.get(c, 0)):
        t.add_row(LABELS.get(c, c), _bytes(estimate.get(c)) if estimate else "—", human_bytes(m.by_category.get(c, 0)), "")
    total = sum(estimate.values()) if estimate else None
    diff = "" if total is None else f"{total - m.total_bytes:+,} B ({(total - m.total_bytes) / m.total_bytes:+.2%})"
    t.add_row("[bold]total[/]", f"[bold]{_bytes(total)}[/]", f"[bold]{human_bytes(m.total_bytes)}[/]", diff)
    if m.peak_allocated_bytes is not None:
        t.add_row("CUDA peak allocated (weights + forward)", "", human_bytes(m.peak_allocated_bytes), "")
    return t
