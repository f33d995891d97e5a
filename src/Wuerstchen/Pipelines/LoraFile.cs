namespace Wuerstchen.Pipelines;

/// <summary>
/// A LoRA to apply to Stage C for one run: a <c>pytorch_lora_weights.safetensors</c> (diffusers/PEFT keys
/// <c>prior.&lt;module&gt;.lora_A.weight</c> / <c>lora_B.weight</c>) and its strength (1 = as trained, 0 = off).
/// </summary>
public sealed record LoraFile(string Path, float Scale = 1f);
