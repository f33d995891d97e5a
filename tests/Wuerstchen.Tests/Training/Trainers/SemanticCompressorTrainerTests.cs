using System.Text.Json;
using Wuerstchen.Autograd;
using Wuerstchen.Models;
using Wuerstchen.Models.EfficientNet;
using Wuerstchen.Tensors;
using Wuerstchen.Training.Objectives;
using Wuerstchen.Training.Trainers;
using static Wuerstchen.Tests.Training.Trainers.TrainerFixtures;

namespace Wuerstchen.Tests.Training.Trainers;

public class SemanticCompressorTrainerTests
{
    /// <summary>A tiny EfficientNet (c_latent 8) from scratch and a width-8 head, against the tiny reference VQGAN (4 latent channels).</summary>
    private static SemanticCompressorObjective Objective(ulong seed = 3) =>
        new(new EfficientNetCompressor(EfficientNetEncoder.CreateForTraining(EfficientNetConfig.Tiny with { CLatent = 8 }, seed), downscaleForStageC: false),
            LatentReconstructionHead.Create(8, 8, 4, seed + 1),
            PaellaVQModel.FromPretrained(Path.Combine(DecoderFolder, "vqgan")));

    private static double FirstLoss(string output) =>
        JsonDocument.Parse(File.ReadLines(Path.Combine(output, "train_log.jsonl")).First()).RootElement.GetProperty("loss").GetDouble();

    [Fact]
    public void TheLossIsTheMseBetweenTheHeadsReconstructionAndTheStageALatent()
    {
        using var data = Shapes(2, size: 64);
        var dataset = Open(Path.Combine(data.Path, "data"), resolution: 64);
        double expected;
        using (var objective = Objective())
        using (var batch = new Wuerstchen.Data.CaptionBatchLoader(dataset, 2).Epoch(0).First())
        using (Tape.NoGrad())
        {
            // Computed apart from the objective, by the definition: batch-statistics BatchNorm, un-quantised latents / scale_factor.
            using var latents = objective.VqGan.Encode(batch.Images!);
            using var x0 = Ops.Div(latents, objective.VqGan.Config.ScaleFactor);
            using var features = objective.Compressor.Encode(batch.Images!, training: true);
            using var reconstruction = objective.Head.Forward(features, x0.Size(2), x0.Size(3));
            Assert.Equal(x0.Shape.ToArray(), reconstruction.Shape.ToArray());
            var r = reconstruction.ToArray();
            var t = x0.ToArray();
            expected = r.Zip(t, (a, b) => ((double)a - b) * ((double)a - b)).Average();
        }
        var output = Path.Combine(data.Path, "out");
        using (var objective = Objective())
            new Trainer(objective, dataset, new TrainerOptions { OutputFolder = output, Steps = 1, BatchSize = 2, LearningRate = 1e-3, Seed = 1, LogEvery = 1 }).Run();
        Assert.Equal(expected, FirstLoss(output), 5);
    }

    [Fact]
    public void FittingTwoImagesDrivesTheLossDownAndTheFoldersLoad()
    {
        using var data = Shapes(2, size: 64);
        var output = Path.Combine(data.Path, "out");
        Dictionary<string, float[]> initialEffnet, initialHead;
        using (var objective = Objective())
        {
            initialEffnet = Weights(objective.Compressor.Module);
            initialHead = Weights(objective.Head);
            new Trainer(objective, Open(Path.Combine(data.Path, "data"), resolution: 64), new TrainerOptions
            {
                OutputFolder = output, Steps = 60, BatchSize = 2, LearningRate = 3e-3, Seed = 1, LogEvery = 1,
            }).Run();
        }
        var losses = File.ReadLines(Path.Combine(output, "train_log.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("loss").GetDouble()).ToArray();
        Assert.All(losses, l => Assert.True(double.IsFinite(l)));
        Assert.True(losses[^5..].Average() < 0.5 * losses[..5].Average(), $"first {losses[0]}, last {losses[^1]}");

        using var effnet = EfficientNetEncoder.FromPretrained(Path.Combine(output, "effnet"));
        Assert.True(Differ(initialEffnet, Weights(effnet)));
        using var head = LatentReconstructionHead.FromPretrained(Path.Combine(output, SemanticCompressorObjective.HeadFolder));
        Assert.True(Differ(initialHead, Weights(head)));
        Assert.Equal((8, 8, 4), (head.InChannels, head.Width, head.OutChannels));
    }

    [Fact]
    public void TheHeadRefusesFeaturesOfTheWrongWidth()
    {
        using var head = LatentReconstructionHead.Create(8, 8, 4, 1);
        using var features = Tensor.Zeros([1, 16, 2, 2]);
        var e = Assert.Throws<ArgumentException>(() => head.Forward(features, 16, 16));
        Assert.Contains("[B, 8, h, w]", e.Message);
    }
}
