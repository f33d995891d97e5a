using System.Collections.Concurrent;
using System.Globalization;
using Wuerstchen.IO.Png;
using Wuerstchen.Kernels;
using Wuerstchen.Tensors;

namespace Wuerstchen.Data;

/// <summary>
/// A folder of PNG images with captions (<see cref="ImageFolderIndex"/> says where captions come from), read as
/// [3, S, S] float tensors by <see cref="ImagePreprocessor"/>. Randomness (epoch order, crops, flips) comes from
/// <see cref="SplitMix64"/> streams derived from the seed, the epoch and the sample, so a run is reproducible
/// whatever the thread count or how far it got before a restart.
/// <para>
/// Broken samples follow <see cref="ImageCaptionDatasetOptions.OnError"/>: under <see cref="SampleErrorPolicy.Stop"/>
/// a <see cref="DatasetSampleException"/> names the file; under <see cref="SampleErrorPolicy.Skip"/> the file and
/// reason are logged, recorded in <see cref="Skipped"/>, and the sample is left out from then on. Caption problems
/// are found when the folder is opened; undecodable images when they are first loaded.
/// </para>
/// </summary>
public sealed class ImageCaptionDataset
{
    private readonly ConcurrentDictionary<int, bool> _bad = new();
    private readonly ConcurrentQueue<SkippedSample> _skipped = new();

    public string Folder { get; }
    public ImageCaptionDatasetOptions Options { get; }
    public IReadOnlyList<ImageCaptionEntry> Entries { get; }
    public int Count => Entries.Count;

    /// <summary>Samples left out so far under the Skip policy, in the order they were found.</summary>
    public IReadOnlyList<SkippedSample> Skipped => _skipped.ToArray();

    /// <summary>
    /// The preprocessing that decides a sample's pixels apart from its flip (resolution, crop, range, resampler):
    /// part of a latent cache's identity.
    /// </summary>
    public string PreprocessSignature =>
        string.Create(CultureInfo.InvariantCulture, $"resize=shorter-side-bilinear-antialias;resolution={Options.Resolution};crop={Options.Crop};range={Options.Range}");

    private ImageCaptionDataset(string folder, ImageCaptionDatasetOptions options, List<ImageCaptionEntry> entries)
    {
        Folder = folder;
        Options = options;
        Entries = entries;
    }

    /// <summary>Indexes <paramref name="folder"/>; throws if it holds no usable sample.</summary>
    public static ImageCaptionDataset Open(string folder, ImageCaptionDatasetOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        options ??= new ImageCaptionDatasetOptions();
        options.Validate();
        var skipped = new List<SkippedSample>();
        var entries = ImageFolderIndex.Scan(folder, (file, reason) =>
        {
            if (options.OnError == SampleErrorPolicy.Stop) throw new DatasetSampleException(file, reason);
            skipped.Add(new SkippedSample(file, reason));
        });
        var dataset = new ImageCaptionDataset(folder, options, entries);
        foreach (var s in skipped) dataset.RecordSkip(s);
        if (entries.Count == 0)
            throw new InvalidDataException($"Dataset folder '{folder}' holds no usable sample (PNG images with captions); {skipped.Count} broken.");
        return dataset;
    }

    /// <summary>Entry indices in the order epoch <paramref name="epoch"/> visits them (a seeded shuffle, or name order).</summary>
    public int[] EpochOrder(int epoch)
    {
        var order = Enumerable.Range(0, Count).ToArray();
        if (Options.Shuffle)
        {
            var rng = SplitMix64.Derive(Options.Seed, StreamOrder, (ulong)epoch);
            rng.Shuffle(order.AsSpan());
        }
        return order;
    }

    /// <summary>The flip and crop of sample <paramref name="index"/> in epoch <paramref name="epoch"/>.</summary>
    public SampleAugmentation Augmentation(int epoch, int index)
    {
        var rng = SplitMix64.Derive(Options.Seed, StreamAugmentation, (ulong)epoch, (ulong)index);
        bool flip = rng.NextBool();
        double cropX = rng.NextDouble(), cropY = rng.NextDouble();
        return new SampleAugmentation(Options.RandomFlip && flip, Options.Crop == CropMode.Random ? cropX : 0, Options.Crop == CropMode.Random ? cropY : 0);
    }

    /// <summary>Whether sample <paramref name="index"/> has been found broken (and skipped).</summary>
    public bool IsSkipped(int index) => _bad.ContainsKey(index);

    /// <summary>Loads and transforms one image as a new [3, S, S] tensor; throws <see cref="DatasetSampleException"/> if it cannot be read, whatever the policy.</summary>
    public Tensor LoadImage(int index, SampleAugmentation augmentation)
    {
        int s = Options.Resolution;
        var t = Tensor.Empty(3, s, s);
        try
        {
            LoadImageInto(index, augmentation, t.AsSpan());
            return t;
        }
        catch
        {
            t.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Decodes the samples <paramref name="indices"/>, each with its augmentation, in parallel (<see cref="Threads.For"/>),
    /// as [3, S, S] pixel buffers. Samples that cannot be read go through the error policy in order (Stop: throws;
    /// Skip: logged and recorded) and get null, so logs and exceptions do not depend on the thread count.
    /// </summary>
    public float[]?[] LoadImages(IReadOnlyList<int> indices, IReadOnlyList<SampleAugmentation> augmentations)
    {
        if (augmentations.Count != indices.Count)
            throw new ArgumentException($"{augmentations.Count} augmentations for {indices.Count} samples.", nameof(augmentations));
        int per = 3 * Options.Resolution * Options.Resolution;
        var pixels = new float[]?[indices.Count];
        var errors = new DatasetSampleException?[indices.Count];
        Threads.For(indices.Count, k =>
        {
            var buffer = new float[per];
            try
            {
                LoadImageInto(indices[k], augmentations[k], buffer);
                pixels[k] = buffer;
            }
            catch (DatasetSampleException e)
            {
                errors[k] = e;
            }
        });
        for (int k = 0; k < indices.Count; k++)
            if (errors[k] is { } error) HandleBroken(indices[k], error);
        return pixels;
    }

    /// <summary>Pixel buffers of <see cref="LoadImages"/> (none null) stacked into a new [n, 3, S, S] tensor.</summary>
    public Tensor StackImages(IReadOnlyList<float[]> pixels)
    {
        int s = Options.Resolution, per = 3 * s * s;
        var images = Tensor.Empty(pixels.Count, 3, s, s);
        var dst = images.AsSpan();
        for (int k = 0; k < pixels.Count; k++) pixels[k].AsSpan().CopyTo(dst.Slice(k * per, per));
        return images;
    }

    /// <summary>Loads one image into a [3, S, S] buffer; throws <see cref="DatasetSampleException"/> naming the file if it cannot be decoded.</summary>
    public void LoadImageInto(int index, SampleAugmentation augmentation, Span<float> destination)
    {
        var entry = Entries[index];
        Image image;
        try
        {
            image = PngFile.Read(entry.ImagePath).Image;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new DatasetSampleException(entry.ImagePath, $"image cannot be read ({e.Message})", e);
        }
        ImagePreprocessor.Process(image, Options.Resolution, Options.Crop, augmentation, Options.Range, destination);
    }

    /// <summary>
    /// Applies the error policy to a sample that failed: rethrows under Stop; under Skip logs it, records it and
    /// excludes the sample from later epochs.
    /// </summary>
    public void HandleBroken(int index, DatasetSampleException error)
    {
        if (Options.OnError == SampleErrorPolicy.Stop) throw error;
        if (_bad.TryAdd(index, true)) RecordSkip(new SkippedSample(error.FilePath, StripPath(error)));
    }

    private void RecordSkip(SkippedSample sample)
    {
        _skipped.Enqueue(sample);
        Options.Log($"skipping {sample.FilePath}: {sample.Reason}");
    }

    private static string StripPath(DatasetSampleException e) =>
        e.Message.StartsWith(e.FilePath + ": ", StringComparison.Ordinal) ? e.Message[(e.FilePath.Length + 2)..] : e.Message;

    // Stream identifiers keep the order and augmentation draws independent of each other.
    private const ulong StreamOrder = 1, StreamAugmentation = 2;
}
