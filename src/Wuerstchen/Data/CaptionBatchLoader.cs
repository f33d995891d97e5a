using Wuerstchen.Kernels;
using Wuerstchen.Tensors;

namespace Wuerstchen.Data;

/// <summary>
/// Cuts an <see cref="ImageCaptionDataset"/>'s epochs into batches. A batch is filled from the epoch order; a
/// sample that turns out broken is handled by the dataset's policy (Stop: the exception propagates; Skip: it is
/// logged and the next sample in the order takes its place), so every batch but possibly the last is full.
/// Images of a batch are decoded in parallel through <see cref="Threads.For"/>; the result does not depend on the
/// thread count. With a <see cref="LatentCache"/> the batch carries the cached latents instead of images.
/// </summary>
public sealed class CaptionBatchLoader
{
    public ImageCaptionDataset Dataset { get; }
    public int BatchSize { get; }

    /// <summary>Drop the last, smaller batch of an epoch (diffusers' scripts keep it; fixed shapes are simpler to train on).</summary>
    public bool DropLast { get; }

    public LatentCache? Latents { get; }

    public CaptionBatchLoader(ImageCaptionDataset dataset, int batchSize, bool dropLast = true, LatentCache? latents = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "Batch size must be positive.");
        if (latents is not null && !ReferenceEquals(latents.Dataset, dataset))
            throw new ArgumentException("The latent cache was built for a different dataset instance.", nameof(latents));
        Dataset = dataset;
        BatchSize = batchSize;
        DropLast = dropLast;
        Latents = latents;
    }

    /// <summary>Full batches per epoch if no sample is skipped.</summary>
    public int BatchesPerEpoch => DropLast ? Dataset.Count / BatchSize : (Dataset.Count + BatchSize - 1) / BatchSize;

    /// <summary>
    /// The batches of epoch <paramref name="epoch"/>, starting after <paramref name="skipBatches"/> batches (to resume a
    /// run: the skipped batches are not loaded; samples already known to be broken are left out of the count).
    /// </summary>
    public IEnumerable<CaptionBatch> Epoch(int epoch, int skipBatches = 0)
    {
        if (skipBatches < 0) throw new ArgumentOutOfRangeException(nameof(skipBatches), skipBatches, "Cannot skip a negative number of batches.");
        var order = Dataset.EpochOrder(epoch);
        int cursor = 0;
        for (int skipped = 0; skipped < skipBatches * BatchSize && cursor < order.Length; cursor++)
            if (!Dataset.IsSkipped(order[cursor])) skipped++;

        while (cursor < order.Length)
        {
            var chosen = new List<LoadedSample>(BatchSize);
            while (chosen.Count < BatchSize && cursor < order.Length)
            {
                var candidates = new List<int>();
                while (candidates.Count < BatchSize - chosen.Count && cursor < order.Length)
                {
                    int index = order[cursor++];
                    if (!Dataset.IsSkipped(index)) candidates.Add(index);
                }
                chosen.AddRange(Latents is null ? LoadImages(epoch, candidates) : LoadLatents(epoch, candidates));
            }
            if (chosen.Count == 0 || (chosen.Count < BatchSize && DropLast))
            {
                foreach (var c in chosen) c.Latent?.Dispose();
                yield break;
            }
            yield return Assemble(epoch, chosen);
        }
    }

    // Decodes the candidates in parallel; failures go through the dataset's policy in order, so logs and exceptions are deterministic.
    private List<LoadedSample> LoadImages(int epoch, List<int> candidates)
    {
        var augmentations = candidates.Select(i => Dataset.Augmentation(epoch, i)).ToArray();
        var pixels = Dataset.LoadImages(candidates, augmentations);
        var loaded = new List<LoadedSample>(candidates.Count);
        for (int k = 0; k < candidates.Count; k++)
            if (pixels[k] is { } p) loaded.Add(new LoadedSample(candidates[k], augmentations[k], p, null));
        return loaded;
    }

    private List<LoadedSample> LoadLatents(int epoch, List<int> candidates)
    {
        var loaded = new List<LoadedSample>(candidates.Count);
        foreach (int index in candidates)
        {
            var augmentation = Dataset.Augmentation(epoch, index);
            if (Latents!.TryGet(Dataset.Entries[index].Id, augmentation.Flip, out var latent))
                loaded.Add(new LoadedSample(index, augmentation, null, latent));
            else
                Dataset.HandleBroken(index, new DatasetSampleException(Dataset.Entries[index].ImagePath, "no cached latent (the image could not be encoded when the cache was built)"));
        }
        return loaded;
    }

    private CaptionBatch Assemble(int epoch, List<LoadedSample> chosen)
    {
        var indices = chosen.Select(c => c.Index).ToArray();
        var ids = indices.Select(i => Dataset.Entries[i].Id).ToArray();
        var captions = indices.Select(i => Dataset.Entries[i].Caption).ToArray();
        var flipped = chosen.Select(c => c.Augmentation.Flip).ToArray();
        if (Latents is null)
            return new CaptionBatch(epoch, indices, ids, captions, flipped, Dataset.StackImages(chosen.Select(c => c.Pixels!).ToArray()), null);
        var latents = LatentCache.Stack(chosen.Select(c => c.Latent!).ToArray());
        foreach (var c in chosen) c.Latent!.Dispose();
        return new CaptionBatch(epoch, indices, ids, captions, flipped, null, latents);
    }

    // One sample ready for a batch: its decoded pixels [3, S, S], or its cached latent.
    private readonly record struct LoadedSample(int Index, SampleAugmentation Augmentation, float[]? Pixels, Tensor? Latent);
}
