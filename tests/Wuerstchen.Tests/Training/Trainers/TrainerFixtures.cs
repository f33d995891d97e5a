using Wuerstchen.Training.Objectives;
using Wuerstchen.Data;
using Wuerstchen.Data.Shapes;
using Wuerstchen.IO.Png;
using Wuerstchen.Models;
using Wuerstchen.Tensors;
using Wuerstchen.Tests.IO;
using Wuerstchen.Training.Trainers;

namespace Wuerstchen.Tests.Training.Trainers;

/// <summary>Tiny datasets and objectives for the trainer tests (the reference tiny models, shapes images of 32²).</summary>
internal static class TrainerFixtures
{
    public static string PriorFolder => Reference.Path_("tiny-wuerstchen-prior");
    public static string DecoderFolder => Reference.Path_("tiny-wuerstchen");

    /// <summary>A shapes dataset of <paramref name="count"/> images of <paramref name="size"/>² in a fresh temp folder.</summary>
    public static TempFolder Shapes(int count, int size = 32, ulong seed = 3)
    {
        var temp = new TempFolder();
        ShapesDatasetWriter.Write(Path.Combine(temp.Path, "data"), count, size, seed);
        return temp;
    }

    public static ImageCaptionDataset Open(string folder, int resolution = 32, SampleErrorPolicy policy = SampleErrorPolicy.Skip, ulong seed = 11, List<string>? log = null) =>
        ImageCaptionDataset.Open(folder, new ImageCaptionDatasetOptions
        {
            Resolution = resolution,
            Range = PixelRange.ZeroToOne,
            Seed = seed,
            OnError = policy,
            Log = log is null ? _ => { } : log.Add,
        });

    /// <summary>Stage C on the tiny prior pipeline (prior fine-tuned from its weights), a 32² image → 4×4 latent.</summary>
    public static StageCObjective StageC(DiffusionRecipe recipe = DiffusionRecipe.Authors, bool trainTextEncoder = false,
        DiffusionLossWeighting weighting = DiffusionLossWeighting.P2) =>
        new(WuerstchenPrior.FromPretrained(Path.Combine(PriorFolder, "prior"), writable: true),
            TextConditioning.FromPipelineFolder(PriorFolder, trainTextEncoder),
            new TestCompressor(8, 8), recipe) { LossWeighting = weighting };

    /// <summary>The state dict of a saved component as arrays, for bit-exact comparisons.</summary>
    public static Dictionary<string, float[]> Weights(Wuerstchen.Models.Nn.Module model) =>
        model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.Ordinal);

    public static void AssertBitIdentical(Dictionary<string, float[]> expected, Dictionary<string, float[]> actual)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (key, values) in expected)
        {
            var other = actual[key];
            for (int i = 0; i < values.Length; i++)
                if (BitConverter.SingleToInt32Bits(values[i]) != BitConverter.SingleToInt32Bits(other[i]))
                    Assert.Fail($"'{key}'[{i}]: {values[i]:R} vs {other[i]:R}");
        }
    }

    /// <summary>True if some tensor differs (training changed the weights).</summary>
    public static bool Differ(Dictionary<string, float[]> a, Dictionary<string, float[]> b) =>
        a.Any(kv => !kv.Value.AsSpan().SequenceEqual(b[kv.Key]));

}
