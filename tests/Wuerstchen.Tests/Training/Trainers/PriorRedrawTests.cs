using System.Text.Json;
using Wuerstchen.Data;
using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Models.EfficientNet;
using Wuerstchen.Pipelines;
using Wuerstchen.Rng;
using Wuerstchen.Tensors;
using Wuerstchen.Training.Trainers;
using static Wuerstchen.Tests.Training.Trainers.TrainerFixtures;

namespace Wuerstchen.Tests.Training.Trainers;

public class PriorRedrawTests
{
    /// <summary>A frozen Tiny compressor whose 8 channels fit the tiny prior (and decoder): a 64² picture → 2 × 2 cells, as the prior's latent of a 64² image.</summary>
    internal static EfficientNetCompressor Compressor(int channels = 8) =>
        new(EfficientNetEncoder.CreateForTraining(EfficientNetConfig.Tiny with { CLatent = channels }, seed: 3));

    private static WuerstchenPriorPipeline Prior() => WuerstchenPriorPipeline.FromPretrained(PriorFolder, new PipelineLoadOptions { KeepModelsLoaded = true });

    [Fact]
    public void TimestepsStartOnTheGridPointNearestTheStrengthAndEndAtZero()
    {
        var options = new PriorRedrawOptions(Steps: 60);
        var half = options.Timesteps(0.5);
        Assert.Equal(31, half.Length);
        Assert.Equal(0.5f, half[0], 1e-6f);
        Assert.Equal(0f, half[^1]);
        Assert.True(half.Zip(half.Skip(1)).All(p => p.First > p.Second));
        Assert.Equal([1f / 60, 0f], options.Timesteps(0.001));   // never a run of no steps
        Assert.Equal(1f, options.Timesteps(1.0)[0]);
        Assert.Equal(61, options.Timesteps(1.0).Length);
    }

    [Theory]
    [InlineData(0f, 0.5f)]
    [InlineData(0.6f, 0.5f)]
    [InlineData(0.5f, 1.5f)]
    public void BadStrengthsAreRefused(float min, float max) =>
        Assert.Throws<ArgumentException>(() => new PriorRedrawOptions(min, max).Validate());

    [Fact]
    public void ALowStrengthKeepsThePictureAndFullStrengthRedrawsIt()
    {
        using var data = Shapes(2, size: 64);
        var dataset = Open(Path.Combine(data.Path, "data"), resolution: 64);
        using var compressor = new TestCompressor(8, 32);     // 64² → 2 × 2, features of order one
        using var prior = Prior();
        using var images = Tensor.Empty(2, 3, 64, 64);
        for (int i = 0; i < 2; i++)
        {
            using var image = dataset.LoadImage(i, SampleAugmentation.None);
            using var row = images.Select(0, i);
            row.CopyFrom(image);
        }
        string[] captions = [.. dataset.Entries.Select(e => e.Caption)];
        using var truth = compressor.Encode(images, training: false);
        var options = new PriorRedrawOptions(Steps: 60);

        double Distance(float strength, ulong seed)
        {
            using var redrawn = PriorRedraw.Redraw(compressor, prior, images, captions, options.Timesteps(strength), 4f, new TorchGenerator(seed));
            Assert.Equal(truth.Shape.ToArray(), redrawn.Shape.ToArray());
            return Rms(redrawn.ToArray().Zip(truth.ToArray(), (a, b) => a - b));
        }

        // The tiny prior is untrained and its latent scale is the released (42, 1), so a step's error is amplified 42
        // times; still, from t = 1/60 the result stays near the picture (noise √(1 − ᾱ) ≈ 0.036 of the latent), while
        // from t = 1 it is whatever the prior draws.
        double low = Distance(1f / 60, 1), full = Distance(1f, 1);
        Assert.True(low < 0.1 * full, $"low {low}, full {full}");
        Assert.Equal(Distance(0.5f, 7), Distance(0.5f, 7));       // deterministic per generator
        Assert.NotEqual(Distance(0.5f, 7), Distance(0.5f, 8));
    }

    [Fact]
    public void ACompressorThatDoesNotFitThePriorIsNamed()
    {
        using var compressor = Compressor(channels: 16);
        using var prior = Prior();
        using var images = Tensor.Zeros(1, 3, 64, 64);
        var e = Assert.Throws<ArgumentException>(() => PriorRedraw.Redraw(compressor, prior, images, ["a"], [0.5f, 0f], 1f, new TorchGenerator(1)));
        Assert.Contains("compressor", e.Message);
        Assert.Contains("[1, 16, 2, 2]", e.Message);
    }

    private static double Rms(IEnumerable<float> values) => Math.Sqrt(values.Average(v => (double)v * v));

    [Fact]
    public void BuildWritesABankOfTheFirstSamplesAndKeepsFinishedShardsOnARerun()
    {
        using var data = Shapes(5, size: 64);
        var dataset = Open(Path.Combine(data.Path, "data"), resolution: 64);
        using var compressor = Compressor();
        using var prior = Prior();
        var folder = Path.Combine(data.Path, "bank");
        var options = new PriorRedrawOptions(0.3f, 0.9f, Steps: 10, Guidance: 2f, Seed: 4, BatchSize: 2, ShardSize: 2, Count: 3);
        string identity = PriorRedraw.Build(dataset, compressor, prior, options, folder, "models-x");

        Assert.Equal(["embeddings-00000.safetensors", "embeddings-00001.safetensors"], Directory.GetFiles(folder).Select(Path.GetFileName).Order());
        using (var bank = EmbeddingBank.Open(folder))
        {
            Assert.Equal(3, bank.Count);
            Assert.Equal(identity, bank.Identity);
            Assert.Contains("models-x", identity);
            Assert.Contains("seed=4", identity);
            foreach (var entry in dataset.Entries.Take(3))
            {
                Assert.True(bank.TryGet(entry.Id, out var e));
                using (e) Assert.Equal([8, 2, 2], e.Shape.ToArray());
            }
            Assert.False(bank.Contains(dataset.Entries[3].Id));
        }
        using (var shard = SafeTensorsFile.Open(Path.Combine(folder, "embeddings-00000.safetensors")))
        {
            using var strengths = JsonDocument.Parse(shard.Metadata["strengths"]);
            var values = strengths.RootElement.EnumerateObject().Select(p => p.Value.GetDouble()).ToArray();
            Assert.Equal(2, values.Length);
            Assert.All(values, s => Assert.InRange(s, 0.3, 0.9));
            Assert.All(values, s => Assert.Equal(Math.Round(s * 10), s * 10, 1e-5));   // on the 10-step grid
        }

        // A rerun of the same build keeps both shards; another seed rewrites them.
        var written = Directory.GetFiles(folder).ToDictionary(p => p, File.GetLastWriteTimeUtc);
        Thread.Sleep(20);
        PriorRedraw.Build(dataset, compressor, prior, options, folder, "models-x");
        Assert.All(written, kv => Assert.Equal(kv.Value, File.GetLastWriteTimeUtc(kv.Key)));
        PriorRedraw.Build(dataset, compressor, prior, options with { Seed = 5 }, folder, "models-x");
        Assert.All(written, kv => Assert.NotEqual(kv.Value, File.GetLastWriteTimeUtc(kv.Key)));
        using (var bank = EmbeddingBank.Open(folder)) Assert.Contains("seed=5", bank.Identity);

        // A build over fewer samples leaves no shard of the larger one behind.
        PriorRedraw.Build(dataset, compressor, prior, options with { Count = 1 }, folder, "models-x");
        Assert.Equal(["embeddings-00000.safetensors"], Directory.GetFiles(folder).Select(Path.GetFileName));
        using (var bank = EmbeddingBank.Open(folder)) Assert.Equal(1, bank.Count);
    }
}
