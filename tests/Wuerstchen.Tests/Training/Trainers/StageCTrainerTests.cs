using Wuerstchen.Models;
using Wuerstchen.Pipelines;
using Wuerstchen.Training.Checkpoints;
using Wuerstchen.Training.Objectives;
using Wuerstchen.Training.Progress;
using Wuerstchen.Training.Trainers;
using static Wuerstchen.Tests.Training.Trainers.TrainerFixtures;

namespace Wuerstchen.Tests.Training.Trainers;

public class StageCTrainerTests
{
    private static TrainerOptions Options(string output, long steps, long checkpointEvery = 0, bool resume = false) => new()
    {
        OutputFolder = output,
        Steps = steps,
        BatchSize = 2,
        LearningRate = 1e-3,
        WarmupSteps = 2,
        Seed = 7,
        CheckpointEvery = checkpointEvery,
        KeepCheckpoints = 0,
        Resume = resume,
        Ema = new EmaOptions(EmaMode.Authors, Every: 2, Start: 3, Beta: 0.9),
    };

    [Theory]
    [InlineData(DiffusionRecipe.Authors)]
    [InlineData(DiffusionRecipe.Diffusers)]
    public void TheVWeightingScalesEachSamplesLossByOneOverAlphaBar(DiffusionRecipe recipe)
    {
        // One update of batch 1, drawn identically (same seed) under both weightings: loss_v/loss_recipe is
        // 1/(ᾱ(1 − ᾱ)) ≥ 4 for the authors' P2 recipe and 1/ᾱ > 1 for diffusers' plain MSE.
        using var data = Shapes(2);
        var losses = new List<double>();
        foreach (var weighting in new[] { DiffusionLossWeighting.P2, DiffusionLossWeighting.V })
        {
            var reported = new List<TrainingProgress>();
            using var objective = StageC(recipe, weighting: weighting);
            new Trainer(objective, Open(Path.Combine(data.Path, "data")), Options(Path.Combine(data.Path, $"out-{weighting}"), 1) with
            {
                BatchSize = 1, Ema = EmaOptions.Off,
            }) { OnProgress = reported.Add }.Run();
            losses.Add(reported.Single().Loss);
        }
        Assert.True(losses[1] > (recipe == DiffusionRecipe.Authors ? 4 : 1) * losses[0] * 0.999, $"{recipe}: {losses[0]} vs {losses[1]}");
    }

    [Fact]
    public void TrainsAndWritesALoadablePriorPipeline()
    {
        using var data = Shapes(6);
        var output = Path.Combine(data.Path, "out");
        var initial = Weights(WuerstchenPrior.FromPretrained(Path.Combine(PriorFolder, "prior")));
        var reported = new List<TrainingProgress>();
        using (var objective = StageC())
        {
            var summary = new Trainer(objective, Open(Path.Combine(data.Path, "data")), Options(output, 3) with { Ema = EmaOptions.Off })
            { OnProgress = reported.Add }.Run();
            Assert.Equal(3, summary.Step);
            Assert.False(summary.Cancelled);
        }

        Assert.Equal([1L, 2L, 3L], reported.Select(p => p.Step));
        Assert.All(reported, p => Assert.True(double.IsFinite(p.Loss) && p.Loss > 0));
        Assert.Equal(0.0, reported[0].LearningRate);                   // warm-up starts at 0
        Assert.Equal(5e-4, reported[1].LearningRate, 12);
        Assert.Equal(3, File.ReadAllLines(Path.Combine(output, TrainLog.FileName)).Length);

        var folder = ModelFolder.Open(output, "WuerstchenPriorPipeline");
        using var prior = WuerstchenPrior.FromPretrained(folder.ComponentPath("prior"));
        Assert.True(Differ(initial, Weights(prior)));
        using var text = ClipTextModel.FromPretrained(folder.ComponentPath("text_encoder"));
        Assert.Equal(Weights(ClipTextModel.FromPretrained(Path.Combine(PriorFolder, "text_encoder"))).Keys.Order(), Weights(text).Keys.Order());
        Assert.Single(CheckpointFolder.List(output));                  // the final checkpoint
    }

    [Fact]
    public void ResumedRunReachesTheSameWeightsAsAnUninterruptedOne()
    {
        using var data = Shapes(6);
        var dataset = Path.Combine(data.Path, "data");

        // Uninterrupted: 6 updates (3 batches per epoch: crosses two epoch boundaries), EMA copies then blends.
        var straight = Path.Combine(data.Path, "straight");
        using (var objective = StageC())
            new Trainer(objective, Open(dataset), Options(straight, 6, checkpointEvery: 2)).Run();

        // Interrupted after update 3 (a cancellation between updates writes a checkpoint), then resumed.
        var split = Path.Combine(data.Path, "split");
        using (var cts = new CancellationTokenSource())
        using (var objective = StageC())
        {
            var summary = new Trainer(objective, Open(dataset), Options(split, 6, checkpointEvery: 2))
            { OnProgress = p => { if (p.Step == 3) cts.Cancel(); } }.Run(cts.Token);
            Assert.True(summary.Cancelled);
            Assert.Equal(3, summary.Step);
        }
        Assert.Equal(3, CheckpointFolder.Latest(split)!.Value.Step);
        using (var objective = StageC())
        {
            var summary = new Trainer(objective, Open(dataset), Options(split, 6, checkpointEvery: 2, resume: true)).Run();
            Assert.Equal(3, summary.ResumedFrom);
            Assert.Equal(6, summary.Step);
        }

        using var a = WuerstchenPrior.FromPretrained(Path.Combine(straight, "prior"));
        using var b = WuerstchenPrior.FromPretrained(Path.Combine(split, "prior"));
        AssertBitIdentical(Weights(a), Weights(b));
        using var stateA = TrainingStateOf(straight);
        using var stateB = TrainingStateOf(split);
        foreach (var (key, t) in stateA.Tensors) Assert.Equal(t.ToArray(), stateB.Tensors[key].ToArray());
        Assert.Equal(LossColumn(straight), LossColumn(split));
    }

    [Fact]
    public void TheSameSeedGivesTheSameWeightsWhateverTheThreadCount()
    {
        using var data = Shapes(4);
        var dataset = Path.Combine(data.Path, "data");
        int threads = Wuerstchen.Kernels.Threads.Count;
        try
        {
            Wuerstchen.Kernels.Threads.Count = 1;
            using (var objective = StageC(DiffusionRecipe.Diffusers))
                new Trainer(objective, Open(dataset), Options(Path.Combine(data.Path, "one"), 2) with { Ema = EmaOptions.Off }).Run();
            Wuerstchen.Kernels.Threads.Count = Math.Max(2, threads);
            using (var objective = StageC(DiffusionRecipe.Diffusers))
                new Trainer(objective, Open(dataset), Options(Path.Combine(data.Path, "many"), 2) with { Ema = EmaOptions.Off }).Run();
        }
        finally
        {
            Wuerstchen.Kernels.Threads.Count = threads;
        }
        using var a = WuerstchenPrior.FromPretrained(Path.Combine(data.Path, "one", "prior"));
        using var b = WuerstchenPrior.FromPretrained(Path.Combine(data.Path, "many", "prior"));
        AssertBitIdentical(Weights(a), Weights(b));
    }

    [Fact]
    public void TheTextEncoderTrainsJointlyOnlyWhenAsked()
    {
        using var data = Shapes(2);
        var frozenOut = Path.Combine(data.Path, "frozen");
        var jointOut = Path.Combine(data.Path, "joint");
        using (var objective = StageC(trainTextEncoder: false))
        {
            Assert.DoesNotContain(objective.Parameters, p => p.Name.StartsWith("text_encoder.", StringComparison.Ordinal));
            new Trainer(objective, Open(Path.Combine(data.Path, "data")), Options(frozenOut, 1) with { Ema = EmaOptions.Off }).Run();
        }
        using (var objective = StageC(trainTextEncoder: true))
        {
            Assert.Contains(objective.Parameters, p => p.Name == "text_encoder.text_model.final_layer_norm.weight");
            new Trainer(objective, Open(Path.Combine(data.Path, "data")), Options(jointOut, 1) with { Ema = EmaOptions.Off, WarmupSteps = 0 }).Run();
        }
        var original = Weights(ClipTextModel.FromPretrained(Path.Combine(PriorFolder, "text_encoder")));
        AssertBitIdentical(original, Weights(ClipTextModel.FromPretrained(Path.Combine(frozenOut, "text_encoder"))));
        Assert.True(Differ(original, Weights(ClipTextModel.FromPretrained(Path.Combine(jointOut, "text_encoder")))));
    }

    [Theory]
    [InlineData(LrDecay.Cosine)]
    [InlineData(LrDecay.Linear)]
    public void TheLearningRateFollowsTheChosenDecayToZeroAtTheLastUpdate(LrDecay decay)
    {
        using var data = Shapes(2);
        var reported = new List<TrainingProgress>();
        using var objective = StageC();
        var options = Options(Path.Combine(data.Path, "out"), 6) with { Ema = EmaOptions.Off, Decay = decay };
        new Trainer(objective, Open(Path.Combine(data.Path, "data")), options) { OnProgress = reported.Add }.Run();
        // Warm-up over 2 updates (0, 1/2), then from 1e-3 at update 2 down towards 0 at update 6.
        var expected = Enumerable.Range(0, 6).Select(step => step < 2 ? 1e-3 * step / 2
            : decay == LrDecay.Cosine ? 1e-3 * 0.5 * (1 + Math.Cos(Math.PI * (step - 2) / 4.0)) : 1e-3 * (6 - step) / 4.0).ToArray();
        Assert.Equal(expected, reported.Select(p => p.LearningRate).ToArray(), (a, b) => Math.Abs(a - b) < 1e-12);
    }

    [Fact]
    public void TrainingOnCachedLatentsGivesTheSameWeightsAsEncodingEachBatch()
    {
        using var data = Shapes(4);
        var dataset = Path.Combine(data.Path, "data");
        var options = Options(Path.Combine(data.Path, "plain"), 2) with { Ema = EmaOptions.Off };
        using (var objective = StageC())
            new Trainer(objective, Open(dataset), options).Run();
        using (var objective = StageC())
        {
            var opened = Open(dataset);
            using var cache = Wuerstchen.Data.LatentCache.Build(opened, Path.Combine(data.Path, "cache"), objective.CacheEncoder("test-compressor"), batchSize: 3);
            new Trainer(objective, opened, options with { OutputFolder = Path.Combine(data.Path, "cached") }) { Latents = cache }.Run();
        }
        using var a = WuerstchenPrior.FromPretrained(Path.Combine(data.Path, "plain", "prior"));
        using var b = WuerstchenPrior.FromPretrained(Path.Combine(data.Path, "cached", "prior"));
        AssertBitIdentical(Weights(a), Weights(b));
    }

    [Fact]
    public void TheLatentScaleDefinesX0_TheCacheIdentityAndTheExportedModelIndex()
    {
        using var data = Shapes(2);
        var dataset = Path.Combine(data.Path, "data");
        using var released = StageC();
        using var unit = new StageCObjective(WuerstchenPrior.FromPretrained(Path.Combine(PriorFolder, "prior"), writable: true),
            TextConditioning.FromPipelineFolder(PriorFolder, train: false), new TestCompressor(8, 8), DiffusionRecipe.Authors)
        { LatentScale = StageCLatentScale.Identity };
        var releasedEncoder = released.CacheEncoder("test-compressor");
        var unitEncoder = unit.CacheEncoder("test-compressor");
        Assert.NotEqual(releasedEncoder.Identity, unitEncoder.Identity);

        using var compressor = new TestCompressor(8, 8);
        using var images = Wuerstchen.Tests.Pipelines.ImageEncoding.ImageEncodingFixtures.Picture(64, 64);
        using var features = compressor.Encode(images, training: false);
        using (var x0 = unitEncoder.Encode(images))
            Assert.Equal(features.ToArray(), x0.ToArray());                       // (features + 0) / 1
        using (var x0 = releasedEncoder.Encode(images))
        using (var expected = StageCLatentScale.Released.ToLatent(features))
            Assert.Equal(expected.ToArray(), x0.ToArray());                       // (features + 1) / 42

        var output = Path.Combine(data.Path, "out");
        new Trainer(unit, Open(dataset), Options(output, 1) with { Ema = EmaOptions.Off }).Run();
        var constants = PriorConstants.From(ModelFolder.Open(output, "WuerstchenPriorPipeline"));
        Assert.Equal(StageCLatentScale.Identity, constants.LatentScale);
        Assert.Equal(42.67, constants.ResolutionMultiple);
    }

    [Fact]
    public void ACompressorOfStride16WritesHalfTheReleasedResolutionMultiple()
    {
        using var data = Shapes(2);
        using var objective = new StageCObjective(WuerstchenPrior.FromPretrained(Path.Combine(PriorFolder, "prior"), writable: true),
            TextConditioning.FromPipelineFolder(PriorFolder, train: false), new TestCompressor(8, 8) { Stride = 16 }, DiffusionRecipe.Authors);
        var output = Path.Combine(data.Path, "out");
        new Trainer(objective, Open(Path.Combine(data.Path, "data")), Options(output, 1) with { Ema = EmaOptions.Off }).Run();
        var constants = PriorConstants.From(ModelFolder.Open(output, "WuerstchenPriorPipeline"));
        Assert.Equal(21.34, constants.ResolutionMultiple);
        Assert.Equal(12, new ImageSizeRules(constants.ResolutionMultiple).PriorLatentSide(256));   // ceil(256 / 21.34)
    }

    [Fact]
    public void AnOutputFolderWithCheckpointsIsNotOverwrittenWithoutResume()
    {
        using var data = Shapes(4);
        var output = Path.Combine(data.Path, "out");
        using (var objective = StageC())
            new Trainer(objective, Open(Path.Combine(data.Path, "data")), Options(output, 1)).Run();
        using var again = StageC();
        var error = Assert.Throws<IOException>(() => new Trainer(again, Open(Path.Combine(data.Path, "data")), Options(output, 2)).Run());
        Assert.Contains("resume", error.Message);
    }

    internal static Wuerstchen.Training.TrainingState TrainingStateOf(string output) =>
        Wuerstchen.Training.TrainingState.Load(Path.Combine(CheckpointFolder.Latest(output)!.Value.Path, CheckpointFolder.TrainingStateFileName));

    internal static string[] LossColumn(string output) =>
        File.ReadAllLines(Path.Combine(output, TrainLog.FileName)).Select(l => l[..l.IndexOf("\"it_per_s\"", StringComparison.Ordinal)]).ToArray();
}
