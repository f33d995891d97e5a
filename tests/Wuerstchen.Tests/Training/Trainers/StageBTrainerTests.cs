using Wuerstchen.Models;
using Wuerstchen.Models.EfficientNet;
using Wuerstchen.Pipelines;
using Wuerstchen.Training.Trainers;
using static Wuerstchen.Tests.Training.Trainers.TrainerFixtures;

namespace Wuerstchen.Tests.Training.Trainers;

public class StageBTrainerTests
{
    /// <summary>The tiny decoder pipeline fine-tuned with a tiny EfficientNet (c_latent 8) trained jointly from scratch.</summary>
    internal static StageBObjective StageB(bool trainCompressor = true) =>
        new(WuerstchenDiffNeXt.FromPretrained(Path.Combine(DecoderFolder, "decoder"), writable: true),
            PaellaVQModel.FromPretrained(Path.Combine(DecoderFolder, "vqgan")),
            TextConditioning.FromPipelineFolder(DecoderFolder, train: false),
            new EfficientNetCompressor(EfficientNetEncoder.CreateForTraining(EfficientNetConfig.Tiny with { CLatent = 8 }, seed: 3), downscaleForStageC: false),
            trainCompressor);

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
}
