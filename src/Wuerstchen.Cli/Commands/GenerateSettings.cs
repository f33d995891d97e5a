using System.CommandLine;
using System.Globalization;
using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Pipelines;
using Wuerstchen.Schedulers;
using Wuerstchen.Tensors;

namespace Wuerstchen.Cli.Commands;

/// <summary>The validated arguments of one <c>generate</c> run; every check names the offending option.</summary>
public sealed record GenerateSettings
{
    /// <summary>Prior pipeline folder (the default model's when none was given); null only with <see cref="RandomWeights"/> (then the compiled-in warp-ai configs).</summary>
    public string? PriorFolder { get; init; }
    public string? DecoderFolder { get; init; }
    public bool RandomWeights { get; init; }
    /// <summary>Tokenizer or pipeline folder, for <see cref="RandomWeights"/> without model folders.</summary>
    public string? TokenizerFolder { get; init; }
    public required string Prompt { get; init; }
    public string? NegativePrompt { get; init; }
    public int Width { get; init; } = GenerateCommand.DefaultSize;
    public int Height { get; init; } = GenerateCommand.DefaultSize;
    public int PriorSteps { get; init; } = 60;
    public float[]? PriorTimesteps { get; init; }
    public float PriorGuidance { get; init; } = 4f;
    public int DecoderSteps { get; init; } = 12;
    public float[]? DecoderTimesteps { get; init; }
    public float DecoderGuidance { get; init; }
    public int NumImages { get; init; } = 1;
    public ulong Seed { get; init; }
    public string? PriorLatents { get; init; }
    /// <summary>Prior LoRAs from <c>--lora FILE[:SCALE]</c>, in the order given.</summary>
    public IReadOnlyList<LoraFile> Loras { get; init; } = [];
    public string? Variant { get; init; }
    public int? Threads { get; init; }
    /// <summary>The GEMMs' arithmetic (<c>--compute</c>).</summary>
    public ComputePrecision Compute { get; init; } = ComputePrecision.F32;
    /// <summary>How Linear / 1×1-convolution weights are stored (<c>--weights</c>).</summary>
    public WeightPrecision Weights { get; init; } = WeightPrecision.F32;
    public required string Output { get; init; }
    public string? SaveTensors { get; init; }

    /// <param name="findDefaultModel">where the model comes from when neither --prior nor --decoder is given</param>
    public static GenerateSettings From(ParseResult parse, GenerateOptions o, Func<DefaultModel>? findDefaultModel = null)
    {
        string? positionalPrompt = parse.GetValue(o.PromptArgument), optionPrompt = parse.GetValue(o.Prompt);
        if (positionalPrompt != null && optionPrompt != null)
            throw new CliUsageException("--prompt", "give the prompt either as the argument or with --prompt, not both.");
        string prompt = positionalPrompt ?? optionPrompt
            ?? throw new CliUsageException("--prompt", "say what to draw: wuerstchen generate \"a red circle on a blue background\" (or --prompt TEXT).");

        int? priorSteps = parse.GetValue(o.PriorSteps), decoderSteps = parse.GetValue(o.DecoderSteps);
        string? priorTimesteps = parse.GetValue(o.PriorTimesteps), decoderTimesteps = parse.GetValue(o.DecoderTimesteps);
        if (priorSteps != null && priorTimesteps != null)
            throw new CliUsageException("--prior-timesteps", "give either --prior-steps or --prior-timesteps, not both.");
        if (decoderSteps != null && decoderTimesteps != null)
            throw new CliUsageException("--decoder-timesteps", "give either --decoder-steps or --decoder-timesteps, not both.");

        // torch seeds its engine with the low 32 bits, so a 32-bit random seed loses nothing.
        ulong seed = parse.GetValue(o.Seed) ?? (ulong)System.Random.Shared.NextInt64(0, 1L << 32);
        string output = parse.GetValue(o.Output) ?? $"wuerstchen-{seed}.png";
        if (!output.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
            throw new CliUsageException("--output", $"'{output}' must be a .png file.");
        string? saveTensors = parse.GetValue(o.SaveTensors);
        if (saveTensors != null && !saveTensors.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            throw new CliUsageException("--save-tensors", $"'{saveTensors}' must be a .safetensors file.");

        bool randomWeights = parse.GetValue(o.RandomWeights);
        string? priorFolder = parse.GetValue(o.Prior), decoderFolder = parse.GetValue(o.Decoder), tokenizer = parse.GetValue(o.Tokenizer);
        DefaultModelSettings? defaults = null;
        if (!randomWeights)
        {
            if (tokenizer != null) throw new CliUsageException("--tokenizer", "only used with --random-weights; the pipelines bring their own tokenizers.");
            if (priorFolder == null && decoderFolder == null)
            {
                var model = (findDefaultModel ?? DefaultModel.Find)();
                (priorFolder, decoderFolder, defaults) = (model.PriorFolder, model.DecoderFolder, model.Settings);
            }
            if (priorFolder == null) throw new CliUsageException("--prior", "give the prior pipeline folder with --decoder (or neither, for the default model; or --random-weights for a smoke test).");
            if (decoderFolder == null) throw new CliUsageException("--decoder", "give the decoder pipeline folder with --prior (or neither, for the default model; or --random-weights for a smoke test).");
        }
        else if (tokenizer == null && (priorFolder == null || decoderFolder == null))
        {
            // The CLIP vocabulary (vocab.json, merges.txt) is not compiled in; see docs/BENCHMARKS.md.
            throw new CliUsageException("--tokenizer", "--random-weights without --prior and --decoder needs a CLIP tokenizer folder (vocab.json, merges.txt) or a pipeline folder.");
        }

        // The default model's recommended settings stand in for every option the command line leaves out.
        T Value<T>(Option<T> option, Func<DefaultModelSettings, T> recommended) =>
            defaults != null && parse.GetResult(option) is not { Implicit: false } ? recommended(defaults) : parse.GetValue(option)!;
        bool priorScheduleGiven = priorSteps != null || priorTimesteps != null, decoderScheduleGiven = decoderSteps != null || decoderTimesteps != null;

        return new GenerateSettings
        {
            PriorFolder = priorFolder,
            DecoderFolder = decoderFolder,
            RandomWeights = randomWeights,
            TokenizerFolder = tokenizer,
            Prompt = prompt,
            NegativePrompt = parse.GetValue(o.NegativePrompt),
            Width = Positive(Value(o.Width, d => d.Width), "--width"),
            Height = Positive(Value(o.Height, d => d.Height), "--height"),
            PriorSteps = Positive(priorSteps ?? defaults?.PriorNumInferenceSteps ?? 60, "--prior-steps"),
            PriorTimesteps = priorTimesteps != null ? ParseTimesteps(priorTimesteps, "--prior-timesteps") : priorScheduleGiven ? null : defaults?.PriorTimesteps,
            PriorGuidance = Finite(Value(o.PriorGuidance, d => d.PriorGuidanceScale), "--prior-guidance"),
            DecoderSteps = Positive(decoderSteps ?? defaults?.DecoderNumInferenceSteps ?? 12, "--decoder-steps"),
            DecoderTimesteps = decoderTimesteps != null ? ParseTimesteps(decoderTimesteps, "--decoder-timesteps") : decoderScheduleGiven ? null : defaults?.DecoderTimesteps,
            DecoderGuidance = Finite(Value(o.DecoderGuidance, d => d.DecoderGuidanceScale), "--decoder-guidance"),
            NumImages = Positive(parse.GetValue(o.NumImages), "--num-images"),
            Seed = seed,
            PriorLatents = parse.GetValue(o.PriorLatents),
            Loras = (parse.GetValue(o.Lora) ?? []).Select(ParseLora).ToArray(),
            Variant = parse.GetValue(o.Variant),
            Threads = parse.GetValue(o.Threads) is int t ? Positive(t, "--threads") : null,
            Compute = Precision.ParseCompute(parse.GetValue(o.Compute) ?? "f32"),
            Weights = Precision.ParseWeights(parse.GetValue(o.Weights) ?? "f32"),
            Output = output,
            SaveTensors = saveTensors,
        };
    }

    /// <summary>The combined pipeline's request for these settings (<paramref name="priorLatents"/> stays the caller's).</summary>
    public CombinedRequest ToRequest(Tensor? priorLatents = null) => new()
    {
        Latents = priorLatents,
        Prompts = [Prompt],
        NegativePrompts = NegativePrompt == null ? null : [NegativePrompt],
        Width = Width,
        Height = Height,
        PriorNumInferenceSteps = PriorSteps,
        PriorTimesteps = PriorTimesteps,
        PriorGuidanceScale = PriorGuidance,
        DecoderNumInferenceSteps = DecoderSteps,
        DecoderTimesteps = DecoderTimesteps,
        DecoderGuidanceScale = DecoderGuidance,
        NumImagesPerPrompt = NumImages,
        PriorLoras = Loras,
    };

    /// <summary>
    /// "FILE" or "FILE:SCALE" → a LoRA at that strength. Only a suffix that parses as a number is a scale, so paths with
    /// colons (C:\…) still work; the file must exist.
    /// </summary>
    public static LoraFile ParseLora(string text)
    {
        string path = text;
        float scale = 1f;
        int colon = text.LastIndexOf(':');
        if (colon > 0 && double.TryParse(text[(colon + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed))
        {
            if (!double.IsFinite(parsed)) throw new CliUsageException("--lora", $"the scale in '{text}' must be a finite number.");
            path = text[..colon];
            scale = (float)parsed;
        }
        if (!File.Exists(path)) throw new CliUsageException("--lora", $"LoRA file '{path}' does not exist (expected FILE or FILE:SCALE).");
        return new LoraFile(path, scale);
    }

    /// <summary>
    /// "1.0,0.85,0.6667,0.35,0.0" → float32 values the way torch turns a Python list into a float32 tensor (each
    /// decimal parsed to a double, then rounded to float), or "stage-c" for <c>DEFAULT_STAGE_C_TIMESTEPS</c>.
    /// </summary>
    public static float[] ParseTimesteps(string text, string option)
    {
        if (text.Trim().Equals("stage-c", StringComparison.OrdinalIgnoreCase)) return [.. DdpmWuerstchenScheduler.DefaultStageCTimesteps];
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
                throw new CliUsageException(option, $"'{parts[i]}' is not a number (expected a comma-separated list such as 1.0,0.75,0.5,0).");
            values[i] = (float)v;
        }
        if (values.Length < 2) throw new CliUsageException(option, "needs at least two values: a start and the final 0.");
        if (values[0] > 1f) throw new CliUsageException(option, $"timesteps are ratios in [0, 1]; the first is {parts[0]}.");
        for (int i = 1; i < values.Length; i++)
            if (!(values[i] < values[i - 1])) throw new CliUsageException(option, $"timesteps must strictly decrease; {parts[i]} follows {parts[i - 1]}.");
        if (values[^1] != 0f) throw new CliUsageException(option, $"the last timestep must be 0, not {parts[^1]}.");
        return values;
    }

    /// <summary>Reads <see cref="PriorLatents"/>: the file's only tensor, or the one named <c>latents</c>.</summary>
    public Tensor? ReadPriorLatents()
    {
        if (PriorLatents == null) return null;
        if (!File.Exists(PriorLatents)) throw new CliUsageException("--prior-latents", $"file '{PriorLatents}' does not exist.");
        using var file = SafeTensorsFile.Open(PriorLatents);
        string? key = file.Keys.Count == 1 ? file.Keys.Single() : file.Contains("latents") ? "latents" : null;
        if (key == null)
            throw new CliUsageException("--prior-latents", $"'{PriorLatents}' holds {file.Keys.Count} tensors and none is named 'latents'.");
        return file.ReadTensor(key);
    }

    private static int Positive(int value, string option) =>
        value >= 1 ? value : throw new CliUsageException(option, $"must be at least 1, got {value}.");

    private static float Finite(float value, string option) =>
        float.IsFinite(value) ? value : throw new CliUsageException(option, $"must be a finite number, got {value}.");
}
