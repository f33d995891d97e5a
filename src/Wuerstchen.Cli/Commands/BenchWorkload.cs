using System.Diagnostics;
using Wuerstchen.Models;
using Wuerstchen.Models.Configs;
using Wuerstchen.Models.Weights;
using Wuerstchen.Pipelines;
using Wuerstchen.Rng;
using Wuerstchen.Schedulers;
using Wuerstchen.Tensors;

namespace Wuerstchen.Cli.Commands;

/// <summary>
/// One stage ready to time: its model built (random or loaded weights), its inputs drawn, and the FLOPs of one
/// run. <see cref="Run"/> performs one forward (or one whole image) and returns the seconds spent building models
/// inside it, which the timing excludes (only the pipeline builds inside a run).
/// </summary>
public sealed class BenchWorkload : IDisposable
{
    /// <summary>Seed of the random weights and inputs (fixed: runs are comparable across invocations).</summary>
    public const ulong Seed = 0;

    private readonly Func<double> _run;
    private readonly IDisposable[] _owned;

    private BenchWorkload(string description, long flops, double buildSeconds, Func<double> run, params IDisposable[] owned)
    {
        Description = description;
        Flops = flops;
        BuildSeconds = buildSeconds;
        _run = run;
        _owned = owned;
    }

    /// <summary>The inputs, e.g. <c>x [2, 16, 24, 24], r [2], c [2, 77, 1280]</c>.</summary>
    public string Description { get; }

    /// <summary>FLOPs of one <see cref="Run"/> (<see cref="BenchFlops"/>).</summary>
    public long Flops { get; }

    /// <summary>Seconds spent building the model before the first run (pipeline: building its models inside the last run).</summary>
    public double BuildSeconds { get; private set; }

    /// <summary>Seconds per pipeline part in the last run (pipeline only).</summary>
    public Dictionary<string, double>? Parts { get; private set; }

    /// <summary>One run; returns the seconds of it spent building models (to be subtracted from its time).</summary>
    public double Run() => _run();

    public void Dispose()
    {
        foreach (var d in _owned) d.Dispose();
    }

    /// <summary>Builds the stage of <paramref name="s"/>; <paramref name="log"/> hears about the pipeline's parts as they finish.</summary>
    public static BenchWorkload Create(BenchSettings s, Action<string>? log = null)
    {
        var clock = Stopwatch.StartNew();
        var priorConfig = s.NeedsPrior ? LoadConfig(s.PriorFolder, PriorPipelineConfig.WarpAi, PriorPipelineConfig.FromFolder, "--prior") : null;
        var decoderConfig = s.NeedsDecoder ? LoadConfig(s.DecoderFolder, DecoderPipelineConfig.WarpAi, DecoderPipelineConfig.FromFolder, "--decoder") : null;
        var sizes = new ImageSizeRules(priorConfig?.Constants.ResolutionMultiple ?? ImageSizeRules.DefaultResolutionMultiple,
            decoderConfig?.LatentDimScale ?? ImageSizeRules.DefaultLatentDimScale,
            decoderConfig?.Constants.LatentMultiple ?? 16);
        s.CheckDecodable(sizes);
        int hC = sizes.PriorLatentSide(s.Height), wC = sizes.PriorLatentSide(s.Width);
        int hB = sizes.DecoderLatentSide(hC), wB = sizes.DecoderLatentSide(wC);
        var inputs = new TorchGenerator(Seed);
        int b = s.Batch, l = BenchFlops.TextLength;
        double Built() => clock.Elapsed.TotalSeconds;

        switch (s.Stage)
        {
            case BenchStage.Prior or BenchStage.PriorStep:
            {
                var config = priorConfig!.Prior;
                var model = Build(s, Random("prior", ws => new WuerstchenPrior(config, ws)), () => WuerstchenPrior.FromPretrained(Component(s.PriorFolder!, "prior", "--prior")));
                var x = inputs.Randn(b, config.CIn, hC, wC);
                var r = Tensor.Full(0.5f, b);
                var c = inputs.Randn(b, l, config.CCond);
                long flops = BenchFlops.Prior(config, b, hC, wC);
                string inputShapes = $"x {Shape(x)}, r {Shape(r)}, c {Shape(c)}";
                if (s.Stage == BenchStage.Prior)
                    return new BenchWorkload(inputShapes, flops, Built(), () => Forward(() => model.Forward(x, r, c)), model, x, r, c);
                var condition = model.PrepareCondition(c);
                return new BenchWorkload($"{inputShapes} prepared once", flops - BenchFlops.PriorCondition(config, b), Built(),
                    () => Forward(() => model.Forward(x, r, condition)), condition, model, x, r, c);
            }
            case BenchStage.Decoder:
            {
                var config = decoderConfig!.Decoder;
                var model = Build(s, Random("decoder", ws => new WuerstchenDiffNeXt(config, ws, foldEffnetMappers: true)), () => WuerstchenDiffNeXt.FromPretrained(Component(s.DecoderFolder!, "decoder", "--decoder"), foldEffnetMappers: true));
                var x = inputs.Randn(b, config.CIn, hB, wB);
                var r = Tensor.Full(0.5f, b);
                var effnet = inputs.Randn(b, config.EffnetEmbd, hC, wC);
                var clip = inputs.Randn(b, l, config.ClipEmbd);
                return new BenchWorkload($"x {Shape(x)}, r {Shape(r)}, effnet {Shape(effnet)}, clip {Shape(clip)}",
                    BenchFlops.Decoder(config, b, hB, wB, foldedEffnet: true), Built(), () => Forward(() => model.Forward(x, r, effnet, clip)), model, x, r, effnet, clip);
            }
            case BenchStage.VqDecode or BenchStage.VqEncode:
            {
                var config = decoderConfig!.VqGan;
                var model = Build(s, Random("vqgan", ws => new PaellaVQModel(config, ws)), () => PaellaVQModel.FromPretrained(Component(s.DecoderFolder!, "vqgan", "--decoder")));
                if (s.Stage == BenchStage.VqDecode)
                {
                    var latents = inputs.Randn(b, config.LatentChannels, hB, wB);
                    return new BenchWorkload($"latents {Shape(latents)} → images [{b}, {config.OutChannels}, {hB * model.DownscaleFactor}, {wB * model.DownscaleFactor}]",
                        BenchFlops.VqDecode(config, b, hB, wB), Built(), () => Forward(() => model.Decode(latents)), model, latents);
                }
                int f = model.DownscaleFactor;
                var images = Tensor.Full(0.5f, b, config.InChannels, hB * f, wB * f);
                return new BenchWorkload($"images {Shape(images)} → latents [{b}, {config.LatentChannels}, {hB}, {wB}]",
                    BenchFlops.VqEncode(config, b, hB * f, wB * f), Built(), () => Forward(() => model.Encode(images)), model, images);
            }
            case BenchStage.ClipBigG or BenchStage.ClipH:
            {
                bool bigG = s.Stage == BenchStage.ClipBigG;
                var config = bigG ? priorConfig!.TextEncoder : decoderConfig!.TextEncoder;
                string scope = bigG ? "prior_text_encoder" : "decoder_text_encoder";
                string? folder = bigG ? s.PriorFolder : s.DecoderFolder;
                var model = Build(s, Random(scope, ws => new ClipTextModel(config, ws)), () => ClipTextModel.FromPretrained(Component(folder!, "text_encoder", bigG ? "--prior" : "--decoder")));
                var (ids, mask) = BenchPromptEncoder.EmptyPromptIds(b, l, config.VocabSize);
                return new BenchWorkload($"input_ids [{b}, {l}] with the padding mask", BenchFlops.ClipText(config, b, l), Built(),
                    () => Forward(() => model.Forward(ids, mask, b)), model);
            }
            default:
                return Pipeline(s, priorConfig!, decoderConfig!, hC, wC, hB, wB, log);
        }
    }

    /// <summary>
    /// A whole image as <c>generate</c> makes it (Stage C on the 29-step DEFAULT_STAGE_C_TIMESTEPS at guidance 4,
    /// Stage B 12 steps without guidance, Stage A), models built when their stage starts and dropped after it.
    /// </summary>
    private static BenchWorkload Pipeline(BenchSettings s, PriorPipelineConfig priorConfig, DecoderPipelineConfig decoderConfig,
        int hC, int wC, int hB, int wB, Action<string>? log)
    {
        int n = s.Batch;
        double building = 0;
        WuerstchenCombinedPipeline pipeline;
        if (s.RandomWeights)
        {
            var options = new RandomWeightOptions { Seed = Seed, Built = (_, elapsed) => building += elapsed.TotalSeconds };
            var prior = RandomWeightPipelines.Prior(priorConfig, m => new BenchPromptEncoder(m), options);
            pipeline = new WuerstchenCombinedPipeline(prior, RandomWeightPipelines.Decoder(decoderConfig, m => new BenchPromptEncoder(m), options));
        }
        else
        {
            // Loading the weights from disk is part of a real run and is timed with it.
            pipeline = WuerstchenCombinedPipeline.FromPretrained(s.PriorFolder!, s.DecoderFolder!);
        }

        var timesteps = DdpmWuerstchenScheduler.DefaultStageCTimesteps;
        int priorSteps = timesteps.Count - 1, decoderSteps = 12;
        var request = new CombinedRequest
        {
            Prompts = ["a photograph of a sausage in a bun"],
            Width = s.Width,
            Height = s.Height,
            PriorTimesteps = timesteps,
            PriorGuidanceScale = 4f,
            DecoderNumInferenceSteps = decoderSteps,
            NumImagesPerPrompt = n,
        };
        // The pipeline prepares both stages' text condition once (PrepareCondition), not at every step.
        long condition = BenchFlops.PriorCondition(priorConfig.Prior, 2 * n);
        long decoderCondition = BenchFlops.DecoderCondition(decoderConfig.Decoder, n);
        long flops = BenchFlops.ClipText(priorConfig.TextEncoder, 2) + condition + priorSteps * (BenchFlops.Prior(priorConfig.Prior, 2 * n, hC, wC) - condition)
            + BenchFlops.ClipText(decoderConfig.TextEncoder, 1) + decoderCondition
            + decoderSteps * (BenchFlops.Decoder(decoderConfig.Decoder, n, hB, wB, foldedEffnet: true) - decoderCondition)
            + BenchFlops.VqDecode(decoderConfig.VqGan, n, hB, wB);

        BenchWorkload? workload = null;
        workload = new BenchWorkload(
            $"{n} image(s) of {s.Width}×{s.Height}: prior {priorSteps} steps at guidance 4 on [{2 * n}, 16, {hC}, {wC}], decoder {decoderSteps} steps on [{n}, 4, {hB}, {wB}], Stage A",
            flops, 0, () =>
            {
                building = 0;
                var parts = new PartClock(() => building, log);
                using var result = pipeline.Run(request, new TorchGenerator(Seed), new PipelineCallbacks { Progress = parts.Report });
                workload!.Parts = parts.Seconds;
                workload.BuildSeconds = building;
                return building;
            }, pipeline);
        return workload;
    }

    /// <summary>Splits a pipeline run into its parts from the progress reports, leaving out model building.</summary>
    private sealed class PartClock(Func<double> building, Action<string>? log)
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private double _last, _lastBuilding;

        public Dictionary<string, double> Seconds { get; } = new();

        public void Report(PipelineProgress p)
        {
            double now = _clock.Elapsed.TotalSeconds, built = building();
            double spent = now - _last - (built - _lastBuilding);
            (_last, _lastBuilding) = (now, built);
            // Time before a stage's step 0 is set-up (initial noise, conditioning copies): "other".
            string part = p.Step == 0 ? "other" : p.Stage switch
            {
                PipelineStage.PriorTextEncoder => "clip-bigg",
                PipelineStage.Prior => "prior",
                PipelineStage.DecoderTextEncoder => "clip-h",
                PipelineStage.Decoder => "decoder",
                _ => "vq-decode",
            };
            Seconds[part] = Seconds.GetValueOrDefault(part) + spent;
            if (p.Step == p.Total && p.Step > 0)
                log?.Invoke(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"  {part}: {p.Total} step(s) in {Seconds[part]:F1} s"));
        }
    }

    private static double Forward(Func<Tensor> forward)
    {
        forward().Dispose();
        return 0;
    }

    private static T Build<T>(BenchSettings s, Func<T> random, Func<T> load) => s.RandomWeights ? random() : load();

    /// <summary>A model with random weights scoped by component name, the weights <see cref="RandomWeightPipelines"/> would draw.</summary>
    private static Func<T> Random<T>(string component, Func<WeightSource, T> build) => () =>
    {
        using var ws = WeightSource.Random(Seed);
        return build(ws.Scope(component));
    };

    /// <summary>The component folder <paramref name="name"/> of the pipeline folder given with <paramref name="option"/>.</summary>
    private static string Component(string folder, string name, string option)
    {
        try { return ModelFolder.Open(folder).ComponentPath(name); }
        catch (ModelFolderException e) { throw new CliUsageException(option, e.Message); }
    }

    private static T LoadConfig<T>(string? folder, T fallback, Func<string, T> load, string option)
    {
        if (folder == null) return fallback;
        try { return load(folder); }
        catch (ModelFolderException e) { throw new CliUsageException(option, e.Message); }
    }

    private static string Shape(Tensor t) => $"[{string.Join(", ", t.Shape.ToArray())}]";
}
