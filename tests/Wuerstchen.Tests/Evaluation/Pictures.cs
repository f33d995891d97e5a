using Wuerstchen.Data;
using Wuerstchen.Data.Shapes;
using Wuerstchen.Evaluation;
using Wuerstchen.Tensors;

namespace Wuerstchen.Tests.Evaluation;

/// <summary>Test pictures: faithful renders of adherence prompts, and the blur and noise that imitate generated images.</summary>
public static class Pictures
{
    private static readonly ShapeSceneSampler Sampler = new();

    /// <summary>A random single-object scene for the prompt (size, position, fill drawn from <paramref name="variant"/>).</summary>
    public static ShapeScene Scene(AdherencePrompt prompt, int variant)
    {
        var rng = SplitMix64.Derive(prompt.Seed, (ulong)variant);
        return Sampler.Sample(ref rng, prompt.Shape, prompt.Color, prompt.Background);
    }

    public static Tensor Render(AdherencePrompt prompt, int size, int variant = 0) => ShapeRasterizer.Render(Scene(prompt, variant), size);

    /// <summary>Gaussian blur of σ pixels, then Gaussian noise of standard deviation <paramref name="noise"/>, clamped to [0, 1].</summary>
    public static void Degrade(Tensor image, double blur, double noise, int seed)
    {
        var px = image.AsSpan();
        GaussianBlur.Apply(px, 3, image.Size(-1), image.Size(-2), blur);
        if (noise <= 0) return;
        var rng = new System.Random(seed);
        for (int i = 0; i < px.Length; i++)
        {
            double gaussian = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
            px[i] = Math.Clamp(px[i] + (float)(noise * gaussian), 0f, 1f);
        }
    }
}
