using System.CommandLine;
using System.Globalization;
using Wuerstchen.Kernels;
using Wuerstchen.Kernels.Bf16;
using Wuerstchen.Pipelines;
using Wuerstchen.Rng;
using Wuerstchen.Tensors;
using Wuerstchen.Text;

namespace Wuerstchen.Cli.Commands;

/// <summary>
/// <c>wuerstchen generate</c>: prompt → PNG(s) with the combined pipeline. Defaults are the combined pipeline's
/// (prior 60 steps at guidance 4, decoder 12 steps without guidance) except the size: 1024 × 1024, the resolution
/// Würstchen v2 was trained at, instead of diffusers' 512 × 512. Without <c>--prior</c>/<c>--decoder</c> it runs the
/// <see cref="DefaultModel"/>, whose <c>defaults.json</c> replaces these defaults for every option not given.
/// </summary>
public static class GenerateCommand
{
    public const int DefaultSize = 1024;

    public static Command Create(CliContext context)
    {
        var o = new GenerateOptions();
        var command = new Command("generate", "Generate images from a prompt (Stage C prior → Stage B decoder → Stage A VQGAN).");
        command.Add(o.PromptArgument);
        foreach (var option in o.All) command.Add(option);
        command.SetAction(parse => Run(context, GenerateSettings.From(parse, o, DefaultModel.Find)));
        return command;
    }

    private static int Run(CliContext context, GenerateSettings settings)
    {
        if (settings.Threads is int threads) Threads.Count = threads;
        // Scoped to this run (models are built lazily on this flow); in-process callers beside it keep their own settings.
        using var precision = Precision.Use(settings.Compute, settings.Weights);
        if (settings.Compute == ComputePrecision.Reduced) context.Error.WriteLine($"compute reduced: {Bf16Gemm.KernelDescription}");
        using var pipeline = settings.RandomWeights ? WithRandomWeights(context, settings) : FromFolders(settings);
        try { pipeline.SizeRules.CheckDecodable(settings.Height, settings.Width); }
        catch (ArgumentException e) { throw new CliUsageException($"--{e.ParamName}", CliMessages.WithoutParameterName(e)); }

        using var result = Generate(context, pipeline, settings);

        foreach (var path in GeneratedFiles.SaveImages(result.Images!, settings))
            context.Output.WriteLine(path);
        if (settings.SaveTensors != null)
        {
            GeneratedFiles.SaveTensors(settings.SaveTensors, result, settings);
            context.Output.WriteLine(settings.SaveTensors);
        }
        return CliApp.ExitSuccess;
    }

    private static CombinedResult Generate(CliContext context, WuerstchenCombinedPipeline pipeline, GenerateSettings settings)
    {
        using var priorLatents = settings.ReadPriorLatents();
        context.Error.WriteLine($"seed {settings.Seed}");
        var generator = new TorchGenerator(settings.Seed);
        try
        {
            return new StageProgress(context).Run(callbacks =>
                pipeline.Run(settings.ToRequest(priorLatents), generator, callbacks, context.Cancellation));
        }
        catch (ArgumentException e) when (e.ParamName == "Latents")
        {
            throw new CliUsageException("--prior-latents", CliMessages.WithoutParameterName(e));
        }
    }

    private static WuerstchenCombinedPipeline FromFolders(GenerateSettings settings)
    {
        var load = new PipelineLoadOptions { Variant = settings.Variant };
        var prior = LoadFolder("--prior", () => WuerstchenPriorPipeline.FromPretrained(settings.PriorFolder!, load));
        try { return new WuerstchenCombinedPipeline(prior, LoadFolder("--decoder", () => WuerstchenDecoderPipeline.FromPretrained(settings.DecoderFolder!, load))); }
        catch { prior.Dispose(); throw; }
    }

    /// <summary>
    /// <c>--random-weights</c>: the architectures of the given folders' configs (else the compiled-in warp-ai ones) with
    /// deterministic random weights; a smoke test and benchmark of the whole generation without any weight file.
    /// </summary>
    private static WuerstchenCombinedPipeline WithRandomWeights(CliContext context, GenerateSettings settings)
    {
        var priorConfig = settings.PriorFolder == null ? PriorPipelineConfig.WarpAi : LoadFolder("--prior", () => PriorPipelineConfig.FromFolder(settings.PriorFolder));
        var decoderConfig = settings.DecoderFolder == null ? DecoderPipelineConfig.WarpAi : LoadFolder("--decoder", () => DecoderPipelineConfig.FromFolder(settings.DecoderFolder));
        var priorTokenizer = LoadTokenizer(settings.TokenizerFolder ?? settings.PriorFolder!, settings.TokenizerFolder != null ? "--tokenizer" : "--prior");
        var decoderTokenizer = LoadTokenizer(settings.TokenizerFolder ?? settings.DecoderFolder!, settings.TokenizerFolder != null ? "--tokenizer" : "--decoder");
        context.Error.WriteLine("random weights: the models have the real architecture but no training; the image will be noise.");
        var options = new RandomWeightOptions
        {
            Built = (name, elapsed) => context.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: random weights built in {elapsed.TotalSeconds:F1} s")),
        };
        var prior = RandomWeightPipelines.Prior(priorConfig, model => new ClipPromptEncoder(priorTokenizer, model), options);
        return new WuerstchenCombinedPipeline(prior, RandomWeightPipelines.Decoder(decoderConfig, model => new ClipPromptEncoder(decoderTokenizer, model), options));
    }

    /// <summary>A CLIP tokenizer from a tokenizer folder, or from the <c>tokenizer</c> component of a pipeline folder.</summary>
    private static ClipTokenizer LoadTokenizer(string folder, string option)
    {
        if (!Directory.Exists(folder)) throw new CliUsageException(option, $"folder '{folder}' does not exist.");
        if (File.Exists(Path.Combine(folder, ModelFolder.IndexFileName)))
            folder = LoadFolder(option, () => ModelFolder.Open(folder).ComponentPath("tokenizer"));
        if (!File.Exists(Path.Combine(folder, ClipTokenizer.VocabFile)))
            throw new CliUsageException(option, $"'{folder}' is neither a tokenizer folder (no {ClipTokenizer.VocabFile}) nor a pipeline folder.");
        return ClipTokenizer.FromDirectory(folder);
    }

    /// <summary>Opens a model folder, reporting a wrong or broken folder as a problem with <paramref name="argument"/>.</summary>
    private static T LoadFolder<T>(string argument, Func<T> load)
    {
        try { return load(); }
        catch (ModelFolderException e) { throw new CliUsageException(argument, e.Message); }
    }
}
