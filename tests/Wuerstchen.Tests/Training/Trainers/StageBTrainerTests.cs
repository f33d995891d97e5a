using Wuerstchen.Data;
using Wuerstchen.Data.Shapes;
using Wuerstchen.Tensors;
using Wuerstchen.Training.Objectives;
using Wuerstchen.Models;
using Wuerstchen.Models.EfficientNet;
using Wuerstchen.Pipelines;
using Wuerstchen.Training.Trainers;
using static Wuerstchen.Tests.Training.Trainers.TrainerFixtures;

namespace Wuerstchen.Tests.Training.Trainers;

public class StageBTrainerTests
{
    /// <summary>The tiny decoder pipeline fine-tuned with a tiny EfficientNet (c_latent 8) trained jointly from scratch.</summary>
    internal static StageBObjective StageB(bool trainCompressor = true, DiffusionLossWeighting weighting = DiffusionLossWeighting.P2, double coarsen = 0,
        EmbeddingBank? redrawn = null, double redrawnP = 0) =>
        new(WuerstchenDiffNeXt.FromPretrained(Path.Combine(DecoderFolder, "decoder"), writable: true),
            PaellaVQModel.FromPretrained(Path.Combine(DecoderFolder, "vqgan")),
            TextConditioning.FromPipelineFolder(DecoderFolder, train: false),
            TinyCompressor(),
            trainCompressor, new StageBAugmentation(LossWeighting: weighting, EffnetCoarsen: coarsen, Redrawn: redrawnP), redrawn: redrawn);

    private static EfficientNetCompressor TinyCompressor() =>
        new(EfficientNetEncoder.CreateForTraining(EfficientNetConfig.Tiny with { CLatent = 8 }, seed: 3), downscaleForStageC: false);

    [Fact]
    public void RedrawnEmbeddingsReplaceTheFrozenFeaturesPerSample()
    {
        using var data = Shapes(2, size: 64);
        var folder = Path.Combine(data.Path, "data");
        var dataset = Open(folder, resolution: 64);

        // Banks over the two samples: the compressor's own features (replacing them changes nothing), the same under
        // other ids (nothing to replace), and the features + 1.
        string Bank(string name, float shift, string idPrefix = "")
        {
            var bank = Path.Combine(data.Path, name);
            Directory.CreateDirectory(bank);
            using var compressor = TinyCompressor();
            var items = new List<(string, Tensor)>();
            foreach (var (entry, i) in dataset.Entries.Select((e, i) => (e, i)))
            {
                using var image = dataset.LoadImage(i, SampleAugmentation.None);
                using var batch = image.Reshape(1, 3, 64, 64);
                using var features = compressor.Encode(batch, training: false);
                using var row = features.Select(0, 0);
                items.Add((idPrefix + entry.Id, Ops.Add(row, shift)));
            }
            EmbeddingBank.WriteShard(Path.Combine(bank, EmbeddingBank.ShardFileName(0)), name, items);
            foreach (var (_, t) in items) t.Dispose();
            return bank;
        }
        string same = Bank("same", 0), elsewhere = Bank("elsewhere", 0, "x-"), shifted = Bank("shifted", 1);

        (Dictionary<string, float[]> Weights, double[] Redrawn) Run(string name, string? bank, double p)
        {
            var output = Path.Combine(data.Path, "out-" + name);
            using (var objective = StageB(trainCompressor: false, redrawn: bank is null ? null : EmbeddingBank.Open(bank), redrawnP: p))
                new Trainer(objective, Open(folder, resolution: 64), new TrainerOptions
                {
                    OutputFolder = output, Steps = 2, BatchSize = 1, LearningRate = 1e-3, Seed = 5, LogEvery = 1,
                }).Run();
            var redrawn = File.ReadLines(Path.Combine(output, "train_log.jsonl"))
                .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("effnet_redrawn").GetDouble()).ToArray();
            using var decoder = WuerstchenDiffNeXt.FromPretrained(Path.Combine(output, "decoder"));
            return (Weights(decoder), redrawn);
        }

        var plain = Run("plain", null, 0);
        var off = Run("off", shifted, 0);
        AssertBitIdentical(plain.Weights, off.Weights);                 // p = 0 draws nothing: the recipe as before
        Assert.Equal([0.0, 0.0], off.Redrawn);

        var identical = Run("same", same, 1);
        var missing = Run("elsewhere", elsewhere, 1);
        AssertBitIdentical(identical.Weights, missing.Weights);         // the same draws; equal features
        Assert.Equal([1.0, 1.0], identical.Redrawn);
        Assert.Equal([0.0, 0.0], missing.Redrawn);

        var moved = Run("shifted", shifted, 1);
        Assert.Equal([1.0, 1.0], moved.Redrawn);
        Assert.True(Differ(identical.Weights, moved.Weights));
    }

    [Fact]
    public void RedrawnEmbeddingsNeedAFrozenCompressorAndTheirShape()
    {
        using var data = Shapes(1, size: 64);
        var bank = Path.Combine(data.Path, "bank");
        Directory.CreateDirectory(bank);
        var dataset = Open(Path.Combine(data.Path, "data"), resolution: 64);
        using (var wrong = Tensor.Zeros(16, 2, 2))
            EmbeddingBank.WriteShard(Path.Combine(bank, EmbeddingBank.ShardFileName(0)), "b", [(dataset.Entries[0].Id, wrong)]);
        Assert.Throws<ArgumentException>(() => StageB(trainCompressor: true, redrawn: EmbeddingBank.Open(bank), redrawnP: 1));

        using var objective = StageB(trainCompressor: false, redrawn: EmbeddingBank.Open(bank), redrawnP: 1);
        var e = Assert.Throws<InvalidDataException>(() => new Trainer(objective, dataset, new TrainerOptions
        {
            OutputFolder = Path.Combine(data.Path, "out"), Steps = 1, BatchSize = 1, LearningRate = 1e-3, Seed = 5,
        }).Run());
        Assert.Contains(bank, e.Message);
        Assert.Contains(dataset.Entries[0].Id, e.Message);
    }


    [Fact]
    public void CoarsenBlursTheFeaturesAndKeepsTheirSizeAndMean()
    {
        var augmentation = new StageBAugmentation(EffnetCoarsen: 1);
        using (var constant = Tensor.Full(0.7f, 2, 3, 5, 7))
        using (var same = augmentation.Coarsen(constant))
            Assert.All(same.ToArray(), v => Assert.Equal(0.7f, v, 1e-5f));      // odd sides: 5 × 7 → 3 × 4 → 5 × 7

        // One hot cell of a 12 × 12 map spreads into its neighbours: lower peak, a wider footprint, about the same sum.
        var values = new float[144];
        values[5 * 12 + 6] = 1;
        using var impulse = Tensor.FromArray(values, 1, 1, 12, 12);
        using var blurred = augmentation.Coarsen(impulse);
        var b = blurred.ToArray();
        Assert.InRange(b.Max(), 0.05f, 0.5f);
        Assert.True(b.Count(v => v > 0.01f) >= 9, string.Join(" ", b.Select(v => v.ToString("F2"))));
        Assert.InRange(b.Sum(), 0.8f, 1.2f);
    }

    [Fact]
    public void ObjectWeightsRaiseTheObjectsBoxesAndKeepAMeanOfOnePerImage()
    {
        var meta = new ShapesMetadata("a.png", "", 0, ShapeKind.Circle, ColorPalette.Red, 1,
            ShapeSize.Large, ScenePosition.Center, ColorPalette.Black, BackgroundFill.Plain, 0);
        var scenes = new Dictionary<string, LabelledScene>
        {
            ["a"] = new(meta, [new ShapePlacement(0.25, 0.5, 0.125)]),    // the box: x 0.125–0.375, y 0.375–0.625
        };
        var weighting = new ObjectLossWeighting(scenes, 3);
        using var weights = weighting.PixelWeights(["a", "a"], [false, true], 8, 8);
        var w = weights.ToArray();
        Assert.Equal([2, 1, 8, 8], weights.Shape.ToArray());
        // Cell centres (j + 0.5)/8 inside the box: columns 1, 2 and rows 3, 4 → 4 of 64 cells weigh 4, the rest 1.
        float mean = (4 * 4 + 60) / 64f;
        for (int i = 0; i < 8; i++)
            for (int j = 0; j < 8; j++)
            {
                bool inBox = i is 3 or 4 && j is 1 or 2, inMirroredBox = i is 3 or 4 && j is 5 or 6;
                Assert.Equal((inBox ? 4 : 1) / mean, w[i * 8 + j], 1e-6f);
                Assert.Equal((inMirroredBox ? 4 : 1) / mean, w[64 + i * 8 + j], 1e-6f);
            }
        Assert.Equal(1.0, w.Take(64).Average(), 1e-6);
        Assert.Contains("'b'", Assert.Throws<InvalidDataException>(() => weighting.PixelWeights(["b"], [false], 8, 8)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ObjectLossWeighting(scenes, -1));
    }

    [Fact]
    public void ObjectWeightingChangesTheUpdate()
    {
        using var data = Shapes(2, size: 64);
        var scenes = ShapeLabelSupervision.ReadScenes(Path.Combine(data.Path, "data"));
        var weights = new List<Dictionary<string, float[]>>();
        foreach (var objects in new[] { null, new ObjectLossWeighting(scenes, 4) })
        {
            var output = Path.Combine(data.Path, $"out-{weights.Count}");
            using (var objective = new StageBObjective(WuerstchenDiffNeXt.FromPretrained(Path.Combine(DecoderFolder, "decoder"), writable: true),
                PaellaVQModel.FromPretrained(Path.Combine(DecoderFolder, "vqgan")), TextConditioning.FromPipelineFolder(DecoderFolder, train: false),
                new EfficientNetCompressor(EfficientNetEncoder.CreateForTraining(EfficientNetConfig.Tiny with { CLatent = 8 }, seed: 3), downscaleForStageC: false),
                trainCompressor: false, objects: objects))
                new Trainer(objective, Open(Path.Combine(data.Path, "data"), resolution: 64), new TrainerOptions
                {
                    OutputFolder = output, Steps = 1, BatchSize = 2, LearningRate = 1e-3, Seed = 5,
                }).Run();
            using var decoder = WuerstchenDiffNeXt.FromPretrained(Path.Combine(output, "decoder"));
            weights.Add(Weights(decoder));
        }
        Assert.True(Differ(weights[0], weights[1]));
    }

    [Fact]
    public void CoarsenedBatchesAreLoggedAndChangeTheUpdate()
    {
        using var data = Shapes(2, size: 64);
        var weights = new Dictionary<double, Dictionary<string, float[]>>();
        foreach (double coarsen in new[] { 0.0, 1.0 })
        {
            var output = Path.Combine(data.Path, $"out-{coarsen}");
            using (var objective = StageB(trainCompressor: false, coarsen: coarsen))
                new Trainer(objective, Open(Path.Combine(data.Path, "data"), resolution: 64), new TrainerOptions
                {
                    OutputFolder = output, Steps = 2, BatchSize = 1, LearningRate = 1e-3, Seed = 5, LogEvery = 1,
                }).Run();
            var logged = File.ReadLines(Path.Combine(output, "train_log.jsonl"))
                .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement)
                .Select(e => (Zeroed: e.GetProperty("effnet_zeroed").GetDouble(), Coarsened: e.GetProperty("effnet_coarsened").GetDouble())).ToList();
            Assert.Equal(2, logged.Count);
            Assert.All(logged, l => Assert.Equal(coarsen > 0 && l.Zeroed == 0 ? 1.0 : 0.0, l.Coarsened));
            using var decoder = WuerstchenDiffNeXt.FromPretrained(Path.Combine(output, "decoder"));
            weights[coarsen] = Weights(decoder);
        }
        Assert.True(Differ(weights[0.0], weights[1.0]));
    }

    [Theory]
    [InlineData(2, 10.67)]   // stride 32, the released compressor's: the released constant
    [InlineData(1, 5.34)]    // stride 16: 21.34 pixels per Stage C cell over Stage A's 4× (12 cells → int(12 · 5.34) = 64)
    public void TheCheckpointsLatentDimScaleFollowsTheCompressorsStride(int lastStride, double expected)
    {
        using var data = Shapes(1, size: 64);
        var tiny = EfficientNetConfig.Tiny;
        var config = tiny with { CLatent = 8, Stages = [.. tiny.Stages.Take(tiny.Stages.Count - 1), tiny.Stages[^1] with { Stride = lastStride }] };
        using var objective = new StageBObjective(WuerstchenDiffNeXt.FromPretrained(Path.Combine(DecoderFolder, "decoder"), writable: true),
            PaellaVQModel.FromPretrained(Path.Combine(DecoderFolder, "vqgan")),
            TextConditioning.FromPipelineFolder(DecoderFolder, train: false),
            new EfficientNetCompressor(EfficientNetEncoder.CreateForTraining(config, seed: 3)), trainCompressor: false);
        Assert.Equal(4, objective.VqGan.DownscaleFactor);
        var output = Path.Combine(data.Path, "out");
        new Trainer(objective, Open(Path.Combine(data.Path, "data"), resolution: 64), new TrainerOptions
        {
            OutputFolder = output, Steps = 1, BatchSize = 1, LearningRate = 1e-3, Seed = 5,
        }).Run();
        Assert.Equal(expected, DecoderConstants.From(ModelFolder.Open(output, "WuerstchenDecoderPipeline")).LatentDimScale);
    }

    [Fact]
    public void TheWeightingsScaleEachSamplesLossByOneMinusAlphaBarOneOverAlphaBarOrOne()
    {
        // The same update drawn twice (same seed: same t, noise and augmentations): only the per-sample weights differ.
        using var data = Shapes(4, size: 64);
        var losses = new Dictionary<DiffusionLossWeighting, double>();
        foreach (var weighting in new[] { DiffusionLossWeighting.P2, DiffusionLossWeighting.V, DiffusionLossWeighting.Uniform })
        {
            using var objective = StageB(weighting: weighting);
            var output = Path.Combine(data.Path, $"out-{weighting}");
            new Trainer(objective, Open(Path.Combine(data.Path, "data"), resolution: 64), new TrainerOptions
            {
                OutputFolder = output, Steps = 1, BatchSize = 1, LearningRate = 1e-3, Seed = 5, LogEvery = 1,
            }).Run();
            var line = File.ReadLines(Path.Combine(output, "train_log.jsonl")).First();
            losses[weighting] = System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("loss").GetDouble();
        }
        // One sample: loss_p2 = (1 − ᾱ)·l and loss_v = l/ᾱ, so loss_v/loss_p2 = 1/(ᾱ(1 − ᾱ)) ≥ 4.
        Assert.True(losses[DiffusionLossWeighting.V] >= 4 * losses[DiffusionLossWeighting.P2] * 0.999,
            $"p2 {losses[DiffusionLossWeighting.P2]}, v {losses[DiffusionLossWeighting.V]}");
        // Uniform is l itself, so p2/l + l/v = (1 − ᾱ) + ᾱ = 1 whatever t was drawn.
        double uniform = losses[DiffusionLossWeighting.Uniform];
        double identity = losses[DiffusionLossWeighting.P2] / uniform + uniform / losses[DiffusionLossWeighting.V];
        Assert.True(Math.Abs(identity - 1) < 1e-4, $"p2 {losses[DiffusionLossWeighting.P2]}, uniform {uniform}, v {losses[DiffusionLossWeighting.V]}: p2/l + l/v = {identity}");
    }

    [Fact]
    public void TrainsDecoderAndCompressorAndWritesALoadableDecoderPipeline()
    {
        using var data = Shapes(4, size: 64);
        var output = Path.Combine(data.Path, "out");
        var initialDecoder = Weights(WuerstchenDiffNeXt.FromPretrained(Path.Combine(DecoderFolder, "decoder")));
        Dictionary<string, float[]> initialEffnet;
        using (var objective = StageB())
        {
            initialEffnet = Weights(objective.Compressor.Module);
            new Trainer(objective, Open(Path.Combine(data.Path, "data"), resolution: 64), new TrainerOptions
            {
                OutputFolder = output, Steps = 2, BatchSize = 2, LearningRate = 1e-3, Seed = 1,
            }).Run();
        }

        var folder = ModelFolder.Open(output, "WuerstchenDecoderPipeline");
        using var decoder = WuerstchenDiffNeXt.FromPretrained(folder.ComponentPath("decoder"));
        Assert.True(Differ(initialDecoder, Weights(decoder)));
        using var effnet = EfficientNetEncoder.FromPretrained(Path.Combine(output, "effnet"));
        Assert.True(Differ(initialEffnet, Weights(effnet)));           // trained jointly, BatchNorm statistics included
        using var vqgan = PaellaVQModel.FromPretrained(folder.ComponentPath("vqgan"));
        AssertBitIdentical(Weights(PaellaVQModel.FromPretrained(Path.Combine(DecoderFolder, "vqgan"))), Weights(vqgan)); // frozen
    }

    [Fact]
    public void ResumeIsExactWithAJointlyTrainedCompressor()
    {
        using var data = Shapes(4, size: 64);
        var dataset = Path.Combine(data.Path, "data");
        TrainerOptions Options(string output, bool resume = false) => new()
        {
            OutputFolder = output, Steps = 2, BatchSize = 2, LearningRate = 1e-3, Seed = 2, CheckpointEvery = 1, Resume = resume,
            Ema = new EmaOptions(EmaMode.Diffusers),
        };
        using (var objective = StageB())
            new Trainer(objective, Open(dataset, resolution: 64), Options(Path.Combine(data.Path, "a"))).Run();
        using (var cts = new CancellationTokenSource())
        using (var objective = StageB())
            new Trainer(objective, Open(dataset, resolution: 64), Options(Path.Combine(data.Path, "b"))) { OnProgress = p => { if (p.Step == 1) cts.Cancel(); } }.Run(cts.Token);
        using (var objective = StageB())
            new Trainer(objective, Open(dataset, resolution: 64), Options(Path.Combine(data.Path, "b"), resume: true)).Run();

        using var stateA = StageCTrainerTests.TrainingStateOf(Path.Combine(data.Path, "a"));
        using var stateB = StageCTrainerTests.TrainingStateOf(Path.Combine(data.Path, "b"));
        Assert.Contains(stateA.Tensors.Keys, k => k.StartsWith("buffers.effnet.", StringComparison.Ordinal));
        Assert.Equal(stateA.Tensors.Keys.Order(), stateB.Tensors.Keys.Order());
        foreach (var (key, t) in stateA.Tensors)
            Assert.True(t.ToArray().AsSpan().SequenceEqual(stateB.Tensors[key].ToArray()), key);
    }
    [Fact]
    public void TrainingOnCachedLatentsGivesTheSameWeightsAsEncodingEachBatch()
    {
        // Frozen compressor: Stage A's latents and the features come from the cache; the draws (captions, effnet
        // dropout and noise, t, ε) are the same, so both runs must end bit-identical.
        using var data = Shapes(4, size: 64);
        var dataset = Path.Combine(data.Path, "data");
        TrainerOptions Options(string output) => new()
        {
            OutputFolder = output, Steps = 3, BatchSize = 2, LearningRate = 1e-3, Seed = 7,
        };
        using (var objective = StageB(trainCompressor: false))
            new Trainer(objective, Open(dataset, resolution: 64), Options(Path.Combine(data.Path, "plain"))).Run();
        using (var objective = StageB(trainCompressor: false))
        {
            var opened = Open(dataset, resolution: 64);
            var encoder = objective.CacheEncoder("test-stage-a+compressor", 64);
            using var cache = Wuerstchen.Data.LatentCache.Build(opened, Path.Combine(data.Path, "cache"), encoder, batchSize: 3);
            new Trainer(objective, opened, Options(Path.Combine(data.Path, "cached"))) { Latents = cache }.Run();
        }
        using var a = WuerstchenDiffNeXt.FromPretrained(Path.Combine(data.Path, "plain", "decoder"));
        using var b = WuerstchenDiffNeXt.FromPretrained(Path.Combine(data.Path, "cached", "decoder"));
        Assert.True(Differ(Weights(WuerstchenDiffNeXt.FromPretrained(Path.Combine(DecoderFolder, "decoder"))), Weights(a)));
        AssertBitIdentical(Weights(a), Weights(b));
    }

    [Fact]
    public void TheCacheHoldsStageALatentsAndFeaturesAndNeedsAFrozenCompressor()
    {
        using (var trained = StageB(trainCompressor: true))
            Assert.Throws<InvalidOperationException>(() => trained.CacheEncoder("id", 64));

        using var objective = StageB(trainCompressor: false);
        var encoder = objective.CacheEncoder("id", 64);
        Assert.Contains("side=64", encoder.Identity);
        Assert.NotEqual(encoder.Identity, objective.CacheEncoder("id", 128).Identity);
        using var images = Wuerstchen.Tests.Pipelines.ImageEncoding.ImageEncodingFixtures.Picture(64, 64);
        using var packed = encoder.Encode(images);
        using var latent = objective.VqGan.Encode(images);
        using var features = objective.Compressor.Encode(images, training: false);
        Assert.Equal([1, (int)(latent.Numel + features.Numel)], packed.Shape.ToArray());
        var values = packed.ToArray();
        Assert.Equal(latent.ToArray().Select(v => v / objective.VqGan.Config.ScaleFactor), values.Take((int)latent.Numel));
        Assert.Equal(features.ToArray(), values.Skip((int)latent.Numel));
    }
}
