using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Wuerstchen.Data;
using Wuerstchen.Models.EfficientNet;
using Wuerstchen.Pipelines;
using Wuerstchen.IO.Png;
using Wuerstchen.Training.Trainers;

namespace Wuerstchen.Cli.Commands;

/// <summary>
/// <c>wuerstchen redraw-embeddings --prior DIR --effnet DIR --data DIR --output DIR</c>: the dataset's Stage C latents
/// noised part-way and denoised again by a prior from their captions (<see cref="PriorRedraw"/>), written as an
/// <see cref="EmbeddingBank"/> for <c>train stage-b --redrawn-embeddings</c>. Resumable: shards already written by the
/// same command are kept.
/// </summary>
public static class RedrawEmbeddingsCommand
{
    public static Command Create(CliContext context)
    {
        var prior = new Option<string>("--prior") { Description = "The prior pipeline folder (WuerstchenPriorPipeline) that re-draws.", Required = true };
        var effnet = new Option<string>("--effnet") { Description = "The frozen semantic compressor Stage B is trained against (effnet/ or a folder holding one).", Required = true };
        var data = new Option<string>("--data") { Description = "Image-caption folder (as for train).", Required = true };
        var output = new Option<string>("--output", "-o") { Description = "Folder for the bank's shards (embeddings-NNNNN.safetensors).", Required = true };
        var resolution = new Option<int>("--resolution") { Description = "Image side, as for train.", DefaultValueFactory = _ => 256 };
        var count = new Option<int?>("--count") { Description = "Re-draw only the first N samples (default: all)." };
        var minStrength = new Option<float>("--min-strength") { Description = "Lowest t the true latent is noised to before the prior re-draws it (drawn per batch).", DefaultValueFactory = _ => 0.4f };
        var maxStrength = new Option<float>("--max-strength") { Description = "Highest such t (1 keeps nothing of the picture).", DefaultValueFactory = _ => 0.8f };
        var steps = new Option<int>("--steps") { Description = "The prior's step grid over [0, 1], as --prior-steps at generation.", DefaultValueFactory = _ => 60 };
        var guidance = new Option<float>("--guidance") { Description = "The prior's classifier-free guidance, as at generation.", DefaultValueFactory = _ => 4f };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the strengths and noise (each batch derives its own).", DefaultValueFactory = _ => 0 };
        var batch = new Option<int>("--batch") { Description = "Pictures re-drawn together (they share a strength).", DefaultValueFactory = _ => 16 };
        var threads = new Option<int?>("--threads") { Description = "Worker threads (default: all logical processors)." };
        var command = new Command("redraw-embeddings",
            "Re-draw a dataset's Stage C latents with a prior from their captions (noised to t in [min, max], then denoised), for Stage B's --redrawn-embeddings augmentation.")
        {
            prior, effnet, data, output, resolution, count, minStrength, maxStrength, steps, guidance, seed, batch, threads,
        };
        command.SetAction(parse =>
        {
            EncodeDecodeInputs.ApplyThreads(parse.GetValue(threads));
            var options = new PriorRedrawOptions(parse.GetValue(minStrength), parse.GetValue(maxStrength), parse.GetValue(steps),
                parse.GetValue(guidance), parse.GetValue(seed), parse.GetValue(batch), Count: parse.GetValue(count));
            try { options.Validate(); }
            catch (ArgumentException e) { throw new CliUsageException(OptionOf(e.ParamName), e.Message.Split(" (Parameter")[0]); }
            return Run(context, parse.GetValue(prior)!, parse.GetValue(effnet)!, parse.GetValue(data)!, parse.GetValue(output)!, parse.GetValue(resolution), options);
        });
        return command;
    }

    private static string OptionOf(string? parameter) => parameter switch
    {
        nameof(PriorRedrawOptions.MinStrength) => "--min-strength/--max-strength",
        nameof(PriorRedrawOptions.Steps) => "--steps",
        nameof(PriorRedrawOptions.BatchSize) => "--batch",
        nameof(PriorRedrawOptions.Count) => "--count",
        _ => "redraw-embeddings",
    };

    private static int Run(CliContext context, string priorFolder, string effnetFolder, string dataFolder, string output, int resolution, PriorRedrawOptions options)
    {
        if (resolution is < 8 or > 8192) throw new CliUsageException("--resolution", $"must be between 8 and 8192, got {resolution}.");
        if (!Directory.Exists(priorFolder)) throw new CliUsageException("--prior", $"folder '{priorFolder}' not found.");
        var effnetComponent = TrainModels.Component(effnetFolder, "effnet", "--effnet");
        var dataset = ImageCaptionDataset.Open(dataFolder, new ImageCaptionDatasetOptions
        {
            Resolution = resolution,
            Range = PixelRange.ZeroToOne,
            OnError = SampleErrorPolicy.Skip,
            Log = message => context.Error.WriteLine(message),
        });
        using var prior = WuerstchenPriorPipeline.FromPretrained(priorFolder, new PipelineLoadOptions { KeepModelsLoaded = true });
        using var compressor = new EfficientNetCompressor(EfficientNetEncoder.FromPretrained(effnetComponent));
        string models = TrainCommand.Fingerprint(effnetComponent, Path.Combine(priorFolder, "prior"), Path.Combine(priorFolder, "text_encoder"));
        int total = Math.Min(options.Count ?? dataset.Count, dataset.Count);
        var clock = Stopwatch.StartNew();
        var progress = new InlineProgress(done => context.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{done}/{total} re-drawn ({clock.Elapsed.TotalMinutes:F1} min)")));
        PriorRedraw.Build(dataset, compressor, prior, options, output, models, progress, context.Cancellation);
        using var bank = EmbeddingBank.Open(output);
        context.Output.WriteLine($"{output}: {bank.Count} re-drawn embeddings");
        return CliApp.ExitSuccess;
    }

    /// <summary>Reports on the calling thread, in order (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class InlineProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
