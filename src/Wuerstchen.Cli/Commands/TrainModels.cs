using System.CommandLine;
using Wuerstchen.Data;
using Wuerstchen.Models;
using Wuerstchen.Models.Configs;
using Wuerstchen.Models.EfficientNet;
using Wuerstchen.Models.Init;
using Wuerstchen.Pipelines;
using Wuerstchen.Training.Objectives;
using Wuerstchen.Training.Trainers;

namespace Wuerstchen.Cli.Commands;

/// <summary>
/// Builds each stage's <see cref="ITrainingObjective"/> from the command line: the model to train (from
/// <c>--init</c> weights, or from scratch with the SPEC initialisation seeded by <c>--seed</c>) and the frozen models
/// it needs. Resuming runs the same command again: the objective is rebuilt the same way and the trainer then
/// loads the checkpoint's weights over it.
/// </summary>
internal static class TrainModels
{
    /// <summary>Default Stage A from scratch: the released layout at a width a CPU can train (scale_factor as released).</summary>
    public static PaellaVQConfig SmallVqGan { get; } = new(InChannels: 3, OutChannels: 3, UpDownScaleFactor: 2, Levels: 2, BottleneckBlocks: 4,
        EmbedDim: 64, LatentChannels: 4, NumVqEmbeddings: 1024, ScaleFactor: 0.3764f);

    public static ITrainingObjective StageC(ParseResult parse, TrainOptions o, ulong seed)
    {
        string? init = parse.GetValue(o.Init);
        var recipe = Recipe(parse.GetValue(o.Recipe)!);
        var text = Text(parse, o, init, seed);
        try
        {
            string effnetFolder = parse.GetValue(o.Effnet) ?? throw new CliUsageException("--effnet", "Stage C needs the semantic compressor its latents are defined by (the effnet/ folder written by Stage B training).");
            var compressor = new EfficientNetCompressor(EfficientNetEncoder.FromPretrained(Component(effnetFolder, "effnet", "--effnet")),
                downscaleForStageC: recipe == DiffusionRecipe.Authors);
            WuerstchenPrior prior;
            if (init is not null) prior = WuerstchenPrior.FromPretrained(Component(init, "prior", "--init"), writable: true);
            else if (parse.GetValue(o.Config) is { } config) prior = PriorInit.Create(WuerstchenPriorConfig.Load(config), seed);
            else
            {
                var size = new WuerstchenPriorConfig(CIn: compressor.LatentChannels, C: parse.GetValue(o.PriorWidth), CCond: text.TextEncoder.Config.HiddenSize,
                    CR: 64, Depth: parse.GetValue(o.PriorDepth), NHead: parse.GetValue(o.PriorHeads));
                try { size.Validate("--width/--depth/--heads"); }
                catch (InvalidDataException e) { throw new CliUsageException("--width/--depth/--heads", e.Message); }
                prior = PriorInit.Create(size, seed);
            }
            return new StageCObjective(prior, text, compressor, recipe, Probability(parse, o.CaptionDropout))
            {
                LossWeighting = LossWeighting(parse.GetValue(o.LossWeight)!),
                LatentScale = LatentScale(parse, o, init),
            };
        }
        catch
        {
            text.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The text encoder alone, pre-trained contrastively against the frozen compressor's Stage C latents (a tiny CLIP):
    /// from <c>--text-encoder</c> (a config-only text_encoder/ trains from scratch), or continuing <c>--init</c>'s text
    /// encoder and heads. The latents are the prior's (same compressor input handling and scale), so a Stage C latent
    /// cache serves both.
    /// </summary>
    public static ITrainingObjective TextEncoder(ParseResult parse, TrainOptions o, ulong seed)
    {
        string? init = parse.GetValue(o.Init);
        string effnetFolder = parse.GetValue(o.Effnet) ?? throw new CliUsageException("--effnet", "the text encoder learns to match captions to the frozen compressor's latents: give its effnet/ folder.");
        var text = Text(parse, o, init, seed, train: true);
        var disposables = new List<IDisposable> { text };
        try
        {
            var compressor = new EfficientNetCompressor(EfficientNetEncoder.FromPretrained(Component(effnetFolder, "effnet", "--effnet")), downscaleForStageC: true);
            disposables.Add(compressor);
            var latents = new StageCLatents(compressor, LatentScale(parse, o, null));
            string headsFolder = init is null ? "" : Path.Combine(init, TextEncoderContrastiveObjective.HeadsFolder);
            ContrastiveHeads heads;
            if (Directory.Exists(headsFolder)) heads = ContrastiveHeads.FromPretrained(headsFolder);
            else
            {
                int embed = parse.GetValue(o.EmbedDim), width = parse.GetValue(o.ImageHeadWidth);
                if (embed < 1) throw new CliUsageException("--embed-dim", $"must be at least 1, got {embed}.");
                if (width < 1) throw new CliUsageException("--image-head-width", $"must be at least 1, got {width}.");
                var (c, h, w) = LatentShape(latents, parse.GetValue(o.Resolution));
                // The heads draw from their own stream, not the text encoder's initialisation.
                heads = ContrastiveHeads.Create(text.TextEncoder.Config.HiddenSize, c, h, w, width, embed, seed ^ 0x434C_4950UL);
            }
            disposables.Add(heads);
            double temperature = parse.GetValue(o.Temperature);
            if (!(temperature > 0) || !double.IsFinite(temperature)) throw new CliUsageException("--temperature", $"must be positive, got {temperature}.");
            return new TextEncoderContrastiveObjective(text, heads, latents, (float)temperature);
        }
        catch
        {
            for (int i = disposables.Count - 1; i >= 0; i--) disposables[i].Dispose();
            throw;
        }
    }

    /// <summary>The Stage C latent shape (c, h, w) for square images of <paramref name="resolution"/> pixels (one dry encode: the compressor's resize and padding decide it).</summary>
    private static (int C, int H, int W) LatentShape(StageCLatents latents, int resolution)
    {
        using var image = Wuerstchen.Tensors.Tensor.Zeros(1, 3, resolution, resolution);
        using var latent = latents.Encode(image);
        return (latent.Size(1), latent.Size(2), latent.Size(3));
    }

    public static ITrainingObjective StageB(ParseResult parse, TrainOptions o, ulong seed)
    {
        string? init = parse.GetValue(o.Init);
        WuerstchenDiffNeXt decoder;
        if (init is not null) decoder = WuerstchenDiffNeXt.FromPretrained(Component(init, "decoder", "--init"), writable: true);
        else if (parse.GetValue(o.Config) is { } config) decoder = DecoderInit.Create(WuerstchenDiffNeXtConfig.Load(config), seed);
        else throw new CliUsageException("--init", "Stage B needs --init (a decoder pipeline folder) or --config (a decoder config.json to train from scratch).");

        var disposables = new List<IDisposable> { decoder };
        try
        {
            var vqgan = PaellaVQModel.FromPretrained(StageBVqGanFolder(parse, o));
            disposables.Add(vqgan);
            var text = Text(parse, o, init, seed);
            disposables.Add(text);
            bool freeze = parse.GetValue(o.FreezeEffnet);
            var effnet = parse.GetValue(o.Effnet) is { } effnetFolder
                ? EfficientNetEncoder.FromPretrained(Component(effnetFolder, "effnet", "--effnet"), writable: !freeze)
                : EfficientNetEncoder.CreateForTraining(EffnetConfig(parse, o) with { CLatent = decoder.Config.EffnetEmbd }, seed);
            var compressor = new EfficientNetCompressor(effnet);
            disposables.Add(compressor);
            var redrawn = RedrawnBank(parse, o, freeze);
            if (redrawn != null) disposables.Add(redrawn);
            return new StageBObjective(decoder, vqgan, text, compressor, trainCompressor: !freeze,
                new StageBAugmentation(CaptionDropout: Probability(parse, o.CaptionDropout), EffnetDropout: Probability(parse, o.EffnetDropout),
                    EffnetCoarsen: Probability(parse, o.EffnetCoarsen), LossWeighting: LossWeighting(parse.GetValue(o.LossWeight)!),
                    Redrawn: redrawn != null ? Probability(parse, o.Redrawn) : 0),
                ObjectWeighting(parse, o), redrawn);
        }
        catch
        {
            for (int i = disposables.Count - 1; i >= 0; i--) disposables[i].Dispose();
            throw;
        }
    }

    /// <summary>The bank of --redrawn-embeddings, or null; it replaces a frozen compressor's features only.</summary>
    private static EmbeddingBank? RedrawnBank(ParseResult parse, TrainOptions o, bool frozenCompressor)
    {
        if (parse.GetValue(o.RedrawnEmbeddings) is not { } folder) return null;
        if (!frozenCompressor) throw new CliUsageException("--redrawn-embeddings", "re-drawn embeddings stand in for a frozen compressor's features: add --freeze-effnet.");
        try { return EmbeddingBank.Open(folder); }
        catch (Exception e) when (e is IOException or InvalidDataException) { throw new CliUsageException("--redrawn-embeddings", e.Message); }
    }

    /// <summary>Stage B's frozen Stage A: the vqgan folder of --stage-a, else of --init.</summary>
    public static string StageBVqGanFolder(ParseResult parse, TrainOptions o)
    {
        string stageA = parse.GetValue(o.StageA) ?? parse.GetValue(o.Init) ?? throw new CliUsageException("--stage-a", "Stage B needs the frozen Stage A VQGAN (--stage-a DIR).");
        return Component(stageA, "vqgan", "--stage-a");
    }

    public static ITrainingObjective Effnet(ParseResult parse, TrainOptions o, ulong seed)
    {
        string? init = parse.GetValue(o.Init);
        string stageA = parse.GetValue(o.StageA) ?? throw new CliUsageException("--stage-a", "the compressor learns to reconstruct Stage A latents: give the frozen VQGAN (--stage-a DIR).");
        var vqgan = PaellaVQModel.FromPretrained(Component(stageA, "vqgan", "--stage-a"));
        var disposables = new List<IDisposable> { vqgan };
        try
        {
            var effnet = init is not null
                ? EfficientNetEncoder.FromPretrained(Component(init, "effnet", "--init"), writable: true)
                : EfficientNetEncoder.CreateForTraining(EffnetConfig(parse, o), seed);
            disposables.Add(effnet);
            LatentReconstructionHead head;
            if (init is not null && Directory.Exists(Path.Combine(init, SemanticCompressorObjective.HeadFolder)))
                head = LatentReconstructionHead.FromPretrained(Path.Combine(init, SemanticCompressorObjective.HeadFolder));
            else
            {
                int width = parse.GetValue(o.HeadWidth);
                if (width < 2 || width % 2 != 0) throw new CliUsageException("--head-width", $"must be an even number of at least 2, got {width}.");
                // The head draws from its own stream, not the compressor's initialisation.
                head = LatentReconstructionHead.Create(effnet.Config.CLatent, width, vqgan.Config.LatentChannels, seed ^ 0x4845_4144UL);
            }
            disposables.Add(head);
            ShapeLabelSupervision? labels = null;
            double labelWeight = parse.GetValue(o.LabelWeight);
            if (labelWeight < 0 || !double.IsFinite(labelWeight)) throw new CliUsageException("--label-weight", $"must be ≥ 0, got {labelWeight}.");
            if (labelWeight > 0)
            {
                var scenes = Scenes(parse, o, "--label-weight");
                string labelsFolder = init is null ? "" : Path.Combine(init, SemanticCompressorObjective.LabelsFolder);
                var classifier = Directory.Exists(labelsFolder) ? CellClassifierHead.FromPretrained(labelsFolder)
                    : CellClassifierHead.Create(effnet.Config.CLatent, Data.Shapes.ShapeCellLabels.ShapeClasses, Data.Shapes.ShapeCellLabels.ColorClasses, seed ^ 0x4C41_4245UL);
                disposables.Add(classifier);
                labels = new ShapeLabelSupervision(classifier, scenes, (float)labelWeight);
            }
            return new SemanticCompressorObjective(new EfficientNetCompressor(effnet), head, vqgan, labels);
        }
        catch
        {
            for (int i = disposables.Count - 1; i >= 0; i--) disposables[i].Dispose();
            throw;
        }
    }

    private static EfficientNetConfig EffnetConfig(ParseResult parse, TrainOptions o)
    {
        string name = parse.GetValue(o.EffnetConfig)!;
        return name == "tiny" ? EfficientNetConfig.Tiny
            : EfficientNetConfig.Presets.TryGetValue(name, out var preset) ? preset
            : File.Exists(name) || Directory.Exists(name) ? EfficientNetConfig.Load(name)
            : throw new CliUsageException("--effnet-config", $"'{name}' is neither a preset (tiny, {string.Join(", ", EfficientNetConfig.Presets.Keys)}) nor a config file.");
    }

    /// <summary>--latent-mean / --latent-std, each defaulting to the --init prior pipeline's model_index.json, else the released 42 and 1.</summary>
    private static StageCLatentScale LatentScale(ParseResult parse, TrainOptions o, string? init)
    {
        var fallback = StageCLatentScale.Released;
        if (init is not null && File.Exists(Path.Combine(init, "model_index.json")))
            fallback = PriorConstants.From(ModelFolder.Open(init)).LatentScale;
        var scale = new StageCLatentScale(parse.GetValue(o.LatentMean) ?? fallback.Mean, parse.GetValue(o.LatentStd) ?? fallback.Std);
        try { return scale.Validated("--latent-mean/--latent-std"); }
        catch (ArgumentException e) { throw new CliUsageException("--latent-mean", e.Message); }
    }

    /// <summary>The scenes of the --data shapes dataset, for the option that needs them.</summary>
    private static IReadOnlyDictionary<string, Data.Shapes.LabelledScene> Scenes(ParseResult parse, TrainOptions o, string option)
    {
        try { return ShapeLabelSupervision.ReadScenes(parse.GetValue(o.Data)!); }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException) { throw new CliUsageException(option, e.Message); }
    }

    /// <summary>--object-loss-weight: null at 0 (the default), else the weighting over the dataset's scenes.</summary>
    private static ObjectLossWeighting? ObjectWeighting(ParseResult parse, TrainOptions o)
    {
        double weight = parse.GetValue(o.ObjectLossWeight);
        if (weight < 0 || !double.IsFinite(weight)) throw new CliUsageException("--object-loss-weight", $"must be ≥ 0, got {weight}.");
        return weight > 0 ? new ObjectLossWeighting(Scenes(parse, o, "--object-loss-weight"), (float)weight) : null;
    }

    /// <summary>A per-batch probability option, checked to lie in [0, 1].</summary>
    private static double Probability(ParseResult parse, Option<double> option)
    {
        double p = parse.GetValue(option);
        if (!(p >= 0 && p <= 1)) throw new CliUsageException(option.Name, $"must be a probability in [0, 1], got {p}.");
        return p;
    }

    private static DiffusionLossWeighting LossWeighting(string name) => name switch
    {
        "p2" => DiffusionLossWeighting.P2,
        "v" => DiffusionLossWeighting.V,
        "uniform" => DiffusionLossWeighting.Uniform,
        _ => throw new CliUsageException("--loss-weight", $"'{name}' is not a weighting: use p2, v or uniform."),
    };

    public static ITrainingObjective StageA(ParseResult parse, TrainOptions o, ulong seed)
    {
        string? init = parse.GetValue(o.Init);
        var vqgan = init is not null ? PaellaVQModel.FromPretrained(Component(init, "vqgan", "--init"), writable: true)
            : parse.GetValue(o.Config) is { } config ? VqGanInit.Create(PaellaVQConfig.Load(config), seed)
            : VqGanInit.Create(SmallVqGan, seed);
        var reconstruction = parse.GetValue(o.Reconstruction) switch
        {
            "mse" => ReconstructionLoss.Mse,
            "l1" => ReconstructionLoss.L1,
            var other => throw new CliUsageException("--reconstruction", $"'{other}' is not mse or l1."),
        };
        return new StageAObjective(vqgan, reconstruction, initCodebookFromData: init is null && !parse.GetValue(o.NoCodebookInit))
        {
            CodebookRestartEvery = parse.GetValue(o.CodebookRestartEvery),
        };
    }

    public static ITrainingObjective Lora(ParseResult parse, TrainOptions o, ulong seed)
    {
        string init = parse.GetValue(o.Init) ?? throw new CliUsageException("--init", "LoRA adapts a trained prior: give its pipeline folder.");
        if (parse.GetValue(o.TrainTextEncoder)) throw new CliUsageException("--train-text-encoder", "LoRA keeps the text encoder frozen.");
        var recipe = Recipe(parse.GetValue(o.LoraRecipe)!);
        string effnetFolder = parse.GetValue(o.Effnet) ?? throw new CliUsageException("--effnet", "LoRA on Stage C needs the semantic compressor its latents are defined by.");
        var prior = WuerstchenPrior.FromPretrained(Component(init, "prior", "--init"));
        var disposables = new List<IDisposable> { prior };
        try
        {
            var text = Text(parse, o, init, seed);
            disposables.Add(text);
            var compressor = new EfficientNetCompressor(EfficientNetEncoder.FromPretrained(Component(effnetFolder, "effnet", "--effnet")),
                downscaleForStageC: recipe == DiffusionRecipe.Authors);
            disposables.Add(compressor);
            int rank = parse.GetValue(o.Rank);
            if (rank < 1) throw new CliUsageException("--rank", $"must be at least 1, got {rank}.");
            return new LoraObjective(prior, text, compressor, rank, parse.GetValue(o.Alpha), seed, recipe, Probability(parse, o.CaptionDropout),
                LatentScale(parse, o, init));
        }
        catch
        {
            for (int i = disposables.Count - 1; i >= 0; i--) disposables[i].Dispose();
            throw;
        }
    }

    /// <summary>The tokenizer and text encoder of --text-encoder, else --init; trained as --train-text-encoder says unless <paramref name="train"/> is given.</summary>
    private static TextConditioning Text(ParseResult parse, TrainOptions o, string? init, ulong seed, bool? train = null)
    {
        string folder = parse.GetValue(o.TextEncoder) ?? init
            ?? throw new CliUsageException("--text-encoder", "a pipeline folder with text_encoder/ and tokenizer/ is needed (or --init).");
        try
        {
            // A text encoder made from scratch draws from its own stream, not the model initialisation's.
            return TextConditioning.FromPipelineFolder(folder, train ?? parse.GetValue(o.TrainTextEncoder), seed ^ 0x5445_5854UL);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new CliUsageException(parse.GetValue(o.TextEncoder) is null ? "--init" : "--text-encoder", e.Message);
        }
    }

    public static DiffusionRecipe Recipe(string name) => name switch
    {
        "authors" => DiffusionRecipe.Authors,
        "diffusers" => DiffusionRecipe.Diffusers,
        _ => throw new CliUsageException("--recipe", $"'{name}' is not authors or diffusers."),
    };

    /// <summary><paramref name="folder"/>/<paramref name="name"/> when it is a component folder, else <paramref name="folder"/> itself when it is one.</summary>
    public static string Component(string folder, string name, string option)
    {
        if (File.Exists(Path.Combine(folder, name, "config.json"))) return Path.Combine(folder, name);
        if (File.Exists(Path.Combine(folder, "config.json"))) return folder;
        throw new CliUsageException(option, $"'{folder}' holds neither {name}/config.json nor config.json.");
    }
}
