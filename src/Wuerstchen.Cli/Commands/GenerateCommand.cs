using System.CommandLine;
using Wuerstchen.Kernels;
using Wuerstchen.Pipelines;
using Wuerstchen.Rng;

namespace Wuerstchen.Cli.Commands;

/// <summary>
/// <c>wuerstchen generate</c>: prompt → PNG(s) with the combined pipeline. Defaults are the combined pipeline's
/// (prior 60 steps at guidance 4, decoder 12 steps without guidance) except the size: 1024 × 1024, the resolution
/// Würstchen v2 was trained at, instead of diffusers' 512 × 512.
/// </summary>
public static class GenerateCommand
{
    public const int DefaultSize = 1024;

    public static Command Create(CliContext context)
    {
        var o = new GenerateOptions();
        var command = new Command("generate", "Generate images from a prompt (Stage C prior → Stage B decoder → Stage A VQGAN).");
        foreach (var option in o.All) command.Add(option);
        command.SetAction(parse => Run(context, GenerateSettings.From(parse, o)));
        return command;
    }

    private static int Run(CliContext context, GenerateSettings settings)
    {
        if (settings.Threads is int threads) Threads.Count = threads;
        var load = new PipelineLoadOptions { Variant = settings.Variant };
        using var pipeline = new WuerstchenCombinedPipeline(
            LoadFolder("--prior", () => WuerstchenPriorPipeline.FromPretrained(settings.PriorFolder, load)),
            LoadFolder("--decoder", () => WuerstchenDecoderPipeline.FromPretrained(settings.DecoderFolder, load)));
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

    /// <summary>Opens a model folder, reporting a wrong or broken folder as a problem with <paramref name="argument"/>.</summary>
    private static T LoadFolder<T>(string argument, Func<T> load)
    {
        try { return load(); }
        catch (ModelFolderException e) { throw new CliUsageException(argument, e.Message); }
    }
}
