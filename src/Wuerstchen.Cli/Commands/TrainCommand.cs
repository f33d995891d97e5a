using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Wuerstchen.Data;
using Wuerstchen.IO.Png;
using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Kernels;
using Wuerstchen.Training.Progress;
using Wuerstchen.Training.Trainers;

namespace Wuerstchen.Cli.Commands;

/// <summary>
/// <c>wuerstchen train stage-a|stage-b|stage-c|text-encoder|lora|effnet --data DIR --output DIR …</c>: a thin shell over the library's
/// <see cref="Trainer"/> and the stage objectives (<see cref="TrainModels"/> builds them). Progress goes to the
/// error stream, one line per <c>--log-every</c> updates; Ctrl+C writes a checkpoint and exits with 130, and the
/// same command with <c>--resume</c> continues exactly where it stopped.
/// </summary>
public static class TrainCommand
{
    private delegate ITrainingObjective Build(ParseResult parse, TrainOptions o, ulong seed);

    public static Command Create(CliContext context) => new("train", "Train a stage (docs/TRAINING.md): checkpoints, exact resume, train_log.jsonl.")
    {
        Stage(context, "stage-c", "Stage C, the text-conditional prior, on semantic-compressor latents.", TrainModels.StageC,
            o => [o.Init, o.Config, o.PriorWidth, o.PriorDepth, o.PriorHeads, o.TextEncoder, o.TrainTextEncoder, o.Effnet, o.Recipe, o.CaptionDropout, o.LatentCache, o.LatentMean, o.LatentStd, o.LossWeight]),
        Stage(context, "text-encoder", "A text encoder alone, pre-trained as a tiny CLIP against the frozen compressor's Stage C latents (then: train stage-c --text-encoder OUT --train-text-encoder).", TrainModels.TextEncoder,
            o => [o.Init, o.TextEncoder, o.Effnet, o.LatentCache, o.LatentMean, o.LatentStd, o.EmbedDim, o.ImageHeadWidth, o.Temperature]),
        Stage(context, "stage-b", "Stage B, the decoder, on frozen Stage A latents, with the semantic compressor trained jointly.", TrainModels.StageB,
            o => [o.Init, o.Config, o.StageA, o.Effnet, o.EffnetConfig, o.FreezeEffnet, o.TextEncoder, o.TrainTextEncoder, o.CaptionDropout, o.EffnetDropout, o.EffnetCoarsen, o.RedrawnEmbeddings, o.Redrawn, o.ObjectLossWeight, o.LatentCache, o.LossWeight]),
        Stage(context, "effnet", "The semantic compressor from scratch: it and a small head learn to reconstruct frozen Stage A latents through its 16-channel bottleneck; then train Stage B and C against it (--effnet DIR --freeze-effnet).", TrainModels.Effnet,
            o => [o.Init, o.StageA, o.EffnetConfig, o.HeadWidth, o.LabelWeight]),
        Stage(context, "stage-a", "Stage A, the VQGAN (reconstruction + VQ loss with straight-through).", TrainModels.StageA,
            o => [o.Init, o.Config, o.Reconstruction, o.NoCodebookInit, o.CodebookRestartEvery]),
        Stage(context, "lora", "LoRA adapters on Stage C's attention projections (prior and text encoder frozen); writes pytorch_lora_weights.safetensors.", TrainModels.Lora,
            o => [o.Init, o.TextEncoder, o.Effnet, o.Rank, o.Alpha, o.LoraRecipe, o.CaptionDropout, o.LatentCache, o.LatentMean, o.LatentStd]),
    };

    private static Command Stage(CliContext context, string name, string description, Build build, Func<TrainOptions, Option[]> own)
    {
        var o = new TrainOptions();
        var command = new Command(name, description);
        foreach (var option in o.Shared.Concat(own(o))) command.Add(option);
        command.SetAction(parse => Run(context, parse, o, build));
        return command;
    }

    private static int Run(CliContext context, ParseResult parse, TrainOptions o, Build build)
    {
        if (parse.GetValue(o.Threads) is int threads)
        {
            if (threads < 1) throw new CliUsageException("--threads", $"must be at least 1, got {threads}.");
            Threads.Count = threads;
        }
        var options = Options(parse, o);
        var policy = parse.GetValue(o.OnBadSample) switch
        {
            "skip" => SampleErrorPolicy.Skip,
            "stop" => SampleErrorPolicy.Stop,
            var other => throw new CliUsageException("--on-bad-sample", $"'{other}' is not skip or stop."),
        };
        int resolution = parse.GetValue(o.Resolution);
        if (resolution is < 8 or > 8192) throw new CliUsageException("--resolution", $"must be between 8 and 8192, got {resolution}.");

        var error = context.Error;
        try
        {
            var dataset = ImageCaptionDataset.Open(parse.GetValue(o.Data)!, new ImageCaptionDatasetOptions
            {
                Resolution = resolution,
                RandomFlip = parse.GetValue(o.RandomFlip),
                Range = PixelRange.ZeroToOne,
                Seed = options.Seed,
                OnError = policy,
                Log = message => error.WriteLine(message),
            });
            using var objective = build(parse, o, options.Seed);
            error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{objective.Name}: {objective.Parameters.Sum(p => p.Value.Numel):N0} trainable parameters, {dataset.Count} samples, batch {options.BatchSize}, {Threads.Count} threads"));
            using var latents = LatentCacheFor(parse, o, objective, dataset, error);
            var console = ProgressConsole(context);
            var trainer = new Trainer(objective, dataset, options)
            {
                Latents = latents,
                OnProgress = p => console.MarkupLine(Markup(p)),
                Log = message => error.WriteLine(message),
            };
            var summary = trainer.Run(context.Cancellation);
            foreach (var s in summary.Skipped) error.WriteLine($"skipped {s}");
            if (summary.Cancelled)
            {
                error.WriteLine($"stopped at step {summary.Step}; checkpoint {summary.LastCheckpoint ?? "(none)"}; run the same command with --resume to continue.");
                return CliApp.ExitCancelled;
            }
            context.Output.WriteLine(options.OutputFolder);
            return CliApp.ExitSuccess;
        }
        catch (DatasetSampleException e)
        {
            // --on-bad-sample stop: the file is the message; checkpoints already written stay whole.
            error.WriteLine($"error: bad sample {e.Message}");
            return CliApp.ExitFailure;
        }
    }

    /// <summary>With <c>--latent-cache</c>: the frozen compressor's outputs, built or brought up to date before training.</summary>
    private static LatentCache? LatentCacheFor(ParseResult parse, TrainOptions o, ITrainingObjective objective, ImageCaptionDataset dataset, TextWriter error)
    {
        if (parse.GetValue(o.LatentCache) is not { } folder) return null;
        if (dataset.Options.Crop != CropMode.Center)
            throw new CliUsageException("--latent-cache", "cached latents need the deterministic centre crop.");
        if (parse.GetValue(o.Effnet) is not { } effnetOption)
            throw new CliUsageException("--latent-cache", "cached latents need a trained, frozen compressor (--effnet DIR).");
        var effnet = TrainModels.Component(effnetOption, "effnet", "--effnet");
        var encoder = objective switch
        {
            StageCObjective c => c.CacheEncoder(Fingerprint(effnet)),
            LoraObjective l => l.CacheEncoder(Fingerprint(effnet)),
            TextEncoderContrastiveObjective t => t.CacheEncoder(Fingerprint(effnet)),
            StageBObjective { TrainCompressor: true } => throw new CliUsageException("--latent-cache", "Stage B caches the compressor's features, so it needs --freeze-effnet."),
            StageBObjective b => b.CacheEncoder(Fingerprint(effnet, TrainModels.StageBVqGanFolder(parse, o)), dataset.Options.Resolution),
            _ => throw new CliUsageException("--latent-cache", $"{objective.Name} does not train on cached latents."),
        };
        var cache = LatentCache.Build(dataset, folder, encoder, batchSize: parse.GetValue(o.Batch));
        error.WriteLine($"latent cache {folder}: {cache.RebuiltShards} shard(s) encoded, the rest reused");
        return cache;
    }

    /// <summary>The frozen encoders' identity: their config and weight files' contents.</summary>
    internal static string Fingerprint(params string[] folders) => Data.LatentEncoder.FingerprintFiles(folders.SelectMany(folder =>
        Directory.GetFiles(folder, "*.json").Concat(Directory.GetFiles(folder, "*.safetensors")).Order(StringComparer.Ordinal)));

    private static TrainerOptions Options(ParseResult parse, TrainOptions o)
    {
        var ema = parse.GetValue(o.Ema) switch
        {
            "none" => EmaOptions.Off,
            "authors" => new EmaOptions(EmaMode.Authors, parse.GetValue(o.EmaEvery), parse.GetValue(o.EmaStart), parse.GetValue(o.EmaBeta)),
            "diffusers" => new EmaOptions(EmaMode.Diffusers),
            var other => throw new CliUsageException("--ema", $"'{other}' is not none, authors or diffusers."),
        };
        var dtype = parse.GetValue(o.ExportDtype) switch
        {
            "f32" => SafeTensorsDType.F32,
            "f16" => SafeTensorsDType.F16,
            "bf16" => SafeTensorsDType.BF16,
            var other => throw new CliUsageException("--export-dtype", $"'{other}' is not f32, f16 or bf16."),
        };
        var options = new TrainerOptions
        {
            OutputFolder = parse.GetValue(o.Output)!,
            Steps = parse.GetValue(o.Steps),
            BatchSize = parse.GetValue(o.Batch),
            LearningRate = parse.GetValue(o.Lr),
            WarmupSteps = parse.GetValue(o.Warmup),
            Decay = parse.GetValue(o.LrSchedule) switch
            {
                "constant" => LrDecay.Constant,
                "cosine" => LrDecay.Cosine,
                "linear" => LrDecay.Linear,
                var other => throw new CliUsageException("--lr-schedule", $"'{other}' is not constant, cosine or linear."),
            },
            WeightDecay = parse.GetValue(o.WeightDecay),
            Beta2 = parse.GetValue(o.Beta2),
            MaxGradNorm = parse.GetValue(o.ClipNorm),
            Ema = ema,
            Seed = parse.GetValue(o.Seed),
            CheckpointEvery = parse.GetValue(o.CheckpointEvery),
            KeepCheckpoints = parse.GetValue(o.KeepCheckpoints),
            Resume = parse.GetValue(o.Resume),
            LogEvery = parse.GetValue(o.LogEvery),
            ExportDType = dtype,
        };
        try { options.Validate(); }
        catch (ArgumentOutOfRangeException e) { throw new CliUsageException(OptionName(e.ParamName), CliMessages.WithoutParameterName(e)); }
        return options;
    }

    private static string OptionName(string? parameter) => parameter switch
    {
        nameof(TrainerOptions.Steps) => "--steps",
        nameof(TrainerOptions.BatchSize) => "--batch",
        nameof(TrainerOptions.LearningRate) => "--lr",
        nameof(TrainerOptions.WarmupSteps) => "--warmup",
        nameof(TrainerOptions.MaxGradNorm) => "--clip-grad-norm",
        nameof(TrainerOptions.CheckpointEvery) => "--checkpoint-every",
        nameof(TrainerOptions.LogEvery) => "--log-every",
        nameof(EmaOptions.Every) => "--ema-every",
        nameof(EmaOptions.Start) => "--ema-start",
        nameof(EmaOptions.Beta) => "--ema-beta",
        nameof(Training.AdamWOptions.Beta2) => "--adam-beta2",
        nameof(Training.AdamWOptions.WeightDecay) => "--weight-decay",
        _ => parameter ?? "train",
    };

    private static IAnsiConsole ProgressConsole(CliContext context) => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Ansi = context.ErrorIsTerminal ? AnsiSupport.Detect : AnsiSupport.No,
        ColorSystem = context.ErrorIsTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        Out = new AnsiConsoleOutput(context.Error),
        Interactive = InteractionSupport.No,
    });

    private static string Markup(TrainingProgress p)
    {
        var c = CultureInfo.InvariantCulture;
        string eta = p.Eta is { } t ? "  ETA " + TrainingProgress.FormatDuration(t) : "";
        return string.Create(c,
            $"[bold]step {p.Step}/{p.TotalSteps}[/]  loss [yellow]{p.Loss:F4}[/]  avg [green]{p.SmoothedLoss:F4}[/]  lr {p.LearningRate:0.###e+00}  |g| {p.GradNorm:F3}  {p.StepsPerSecond:F2} it/s{eta}");
    }
}
