using System.CommandLine;

namespace Wuerstchen.Cli.Commands;

/// <summary>The options of <c>wuerstchen generate</c>.</summary>
public sealed class GenerateOptions
{
    public Option<string> Prior { get; } = new("--prior")
    {
        Description = "Prior pipeline folder (WuerstchenPriorPipeline, e.g. warp-ai/wuerstchen-prior). Without --prior and --decoder: " +
            "the default model ($WUERSTCHEN_MODEL, else models/default beside the tool) with its recommended settings.",
    };

    public Option<string> Decoder { get; } = new("--decoder")
    {
        Description = "Decoder pipeline folder (WuerstchenDecoderPipeline, e.g. warp-ai/wuerstchen); given together with --prior.",
    };

    public Option<bool> RandomWeights { get; } = new("--random-weights")
    {
        Description = "Benchmarking / smoke test: build the models with random weights (the images are noise). Configs and tokenizer " +
            "come from --prior/--decoder when given, else the compiled-in warp-ai configs and --tokenizer.",
    };

    public Option<string> Tokenizer { get; } = new("--tokenizer")
    {
        Description = "With --random-weights and no model folders: a CLIP tokenizer folder (vocab.json, merges.txt) or a pipeline folder.",
    };

    public Argument<string?> PromptArgument { get; } = new("PROMPT") { Description = "What to draw (or --prompt).", Arity = ArgumentArity.ZeroOrOne };

    public Option<string> Prompt { get; } = new("--prompt") { Description = "What to draw (instead of the PROMPT argument)." };

    public Option<string> NegativePrompt { get; } = new("--negative-prompt") { Description = "What to steer away from (used where guidance > 1)." };

    public Option<int> Width { get; } = new("--width")
    {
        Description = "Image width in pixels; Stage B needs 128-pixel steps (…, 896, 1024, 1152, …).",
        DefaultValueFactory = _ => GenerateCommand.DefaultSize,
    };

    public Option<int> Height { get; } = new("--height")
    {
        Description = "Image height in pixels; Stage B needs 128-pixel steps.",
        DefaultValueFactory = _ => GenerateCommand.DefaultSize,
    };

    public Option<int?> PriorSteps { get; } = new("--prior-steps") { Description = "Prior steps, uniform in t (default 60)." };

    public Option<string> PriorTimesteps { get; } = new("--prior-timesteps")
    {
        Description = "Explicit prior timesteps t0,t1,…,0 (descending, ending in 0), or 'stage-c' for the 29-step DEFAULT_STAGE_C_TIMESTEPS.",
    };

    public Option<float> PriorGuidance { get; } = new("--prior-guidance")
    {
        Description = "Prior classifier-free guidance; > 1 enables it.",
        DefaultValueFactory = _ => 4f,
    };

    public Option<int?> DecoderSteps { get; } = new("--decoder-steps") { Description = "Decoder steps, uniform in t (default 12)." };

    public Option<string> DecoderTimesteps { get; } = new("--decoder-timesteps") { Description = "Explicit decoder timesteps t0,t1,…,0." };

    public Option<float> DecoderGuidance { get; } = new("--decoder-guidance")
    {
        Description = "Decoder classifier-free guidance; > 1 enables it.",
        DefaultValueFactory = _ => 0f,
    };

    public Option<int> NumImages { get; } = new("--num-images")
    {
        Description = "Images to generate (written as OUTPUT-0.png, OUTPUT-1.png, … when more than one).",
        DefaultValueFactory = _ => 1,
    };

    public Option<ulong?> Seed { get; } = new("--seed") { Description = "Seed of the torch-compatible generator (random when omitted; printed)." };

    public Option<string> PriorLatents { get; } = new("--prior-latents")
    {
        Description = "Start the prior from these latents (a safetensors file with one tensor, or one named 'latents', [N,16,h,w]) instead of drawing them.",
    };

    public Option<string[]> Lora { get; } = new("--lora")
    {
        Description = "Apply a prior LoRA (diffusers/PEFT pytorch_lora_weights.safetensors) at strength SCALE (default 1): FILE[:SCALE]. " +
            "Repeat for several; their effects add up.",
        Arity = ArgumentArity.OneOrMore,
    };

    public Option<string> Variant { get; } = CreateVariant();

    public Option<int?> Threads { get; } = new("--threads") { Description = "Worker threads (default: all logical processors)." };

    public Option<string> Compute { get; } = CreateChoice("--compute",
        "GEMM arithmetic: f32 (default; matches the reference), or reduced (Linear / 1×1 convolutions / matmul in bf16 with float32 accumulation).", "f32", "reduced");

    public Option<string> Weights { get; } = CreateChoice("--weights",
        "Linear / 1×1-convolution weight storage: f32 (default) or bf16 (half the memory).", "f32", "bf16");

    public Option<string> Output { get; } = new("--output", "-o") { Description = "PNG file to write (default: wuerstchen-SEED.png in the current folder)." };

    public Option<string> SaveTensors { get; } = new("--save-tensors")
    {
        Description = "Also write F32 tensors image_embeddings [B,16,h,w] and images [B,3,H,W] in [0,1] to this safetensors file.",
    };

    public IEnumerable<Option> All =>
    [
        Prior, Decoder, RandomWeights, Tokenizer, Prompt, NegativePrompt, Width, Height, PriorSteps, PriorTimesteps, PriorGuidance,
        DecoderSteps, DecoderTimesteps, DecoderGuidance, NumImages, Seed, PriorLatents, Lora, Variant, Threads, Output, SaveTensors,
        Compute, Weights,
    ];

    private static Option<string> CreateChoice(string name, string description, params string[] values)
    {
        var option = new Option<string>(name) { Description = description, DefaultValueFactory = _ => values[0] };
        option.AcceptOnlyFromAmong(values);
        return option;
    }

    private static Option<string> CreateVariant()
    {
        var option = new Option<string>("--variant") { Description = "Load the fp16 or bf16 weight files where a component has them (computation stays float32)." };
        option.AcceptOnlyFromAmong("fp16", "bf16");
        return option;
    }
}
