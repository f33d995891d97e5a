using Wuerstchen.Data.Shapes;
using Wuerstchen.Tensors;

namespace Wuerstchen.Training.Trainers;

/// <summary>
/// Stage B's loss weighted towards the objects of a shapes dataset (not in the SPEC): every latent pixel inside an
/// object's box (<see cref="ShapeCellLabels"/> at the latent's resolution, from <c>metadata.jsonl</c>) weighs
/// 1 + <see cref="Weight"/>, the rest 1, normalised to a mean of 1 per sample so the loss keeps its scale. The
/// objects cover a few per cent of a picture, so a plain mean spends most of the gradient on flat background; their
/// outlines, which Stage B otherwise learns last, then get a larger share.
/// </summary>
public sealed class ObjectLossWeighting(IReadOnlyDictionary<string, LabelledScene> scenes, float weight)
{
    public float Weight { get; } = weight >= 0 ? weight : throw new ArgumentOutOfRangeException(nameof(weight), weight, "The object weight must be ≥ 0.");

    /// <summary>[B, 1, rows, cols] pixel weights for the images <paramref name="ids"/>, mirrored where <paramref name="flipped"/>.</summary>
    public Tensor PixelWeights(IReadOnlyList<string> ids, IReadOnlyList<bool> flipped, int rows, int cols)
    {
        if (ids.Count != flipped.Count) throw new ArgumentException($"{ids.Count} ids but {flipped.Count} flips.", nameof(flipped));
        int n = ids.Count, cells = rows * cols;
        var values = new float[n * cells];
        for (int b = 0; b < n; b++)
        {
            if (!scenes.TryGetValue(ids[b], out var scene))
                throw new InvalidDataException($"metadata.jsonl has no scene for image '{ids[b]}'.");
            var (shapes, _) = ShapeCellLabels.For(scene, flipped[b], rows, cols);
            int covered = shapes.Count(s => s != 0);
            float mean = 1f + Weight * covered / cells;
            for (int c = 0; c < cells; c++) values[b * cells + c] = (shapes[c] != 0 ? 1f + Weight : 1f) / mean;
        }
        return Tensor.FromArray(values, n, 1, rows, cols);
    }
}
