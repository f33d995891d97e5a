using Wuerstchen.Tensors;

namespace Wuerstchen.Data;

/// <summary>
/// One training batch: the samples' entry indices, ids, captions and flips, and either the images [B, 3, S, S]
/// or, when the loader reads a <see cref="LatentCache"/>, the cached latents [B, …]. Owns its tensors.
/// </summary>
public sealed class CaptionBatch : IDisposable
{
    public int Epoch { get; }
    public IReadOnlyList<int> Indices { get; }
    public IReadOnlyList<string> Ids { get; }
    public IReadOnlyList<string> Captions { get; }
    public IReadOnlyList<bool> Flipped { get; }

    /// <summary>[B, 3, S, S] in the dataset's pixel range, or null for a latent batch.</summary>
    public Tensor? Images { get; }

    /// <summary>[B, …] cached encoder outputs, or null for an image batch.</summary>
    public Tensor? Latents { get; }

    public int Count => Indices.Count;

    internal CaptionBatch(int epoch, int[] indices, string[] ids, string[] captions, bool[] flipped, Tensor? images, Tensor? latents)
    {
        Epoch = epoch;
        Indices = indices;
        Ids = ids;
        Captions = captions;
        Flipped = flipped;
        Images = images;
        Latents = latents;
    }

    public void Dispose()
    {
        Images?.Dispose();
        Latents?.Dispose();
    }
}
