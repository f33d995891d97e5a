using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Tensors;

namespace Wuerstchen.Data;

/// <summary>
/// Encoder outputs of an <see cref="ImageCaptionDataset"/>, computed once and kept on disk so training on a frozen
/// encoder (Stage A's VQGAN, the semantic compressor) skips decoding and encoding. One safetensors file per shard
/// of <see cref="ShardSize"/> consecutive entries, <c>latents-00000.safetensors</c>…, with one F32 tensor per sample
/// named by its id (and <c>id#flip</c> for the mirrored image when the dataset flips).
/// <para>
/// A shard is reused only if its metadata matches exactly: the encoder's <see cref="LatentEncoder.Identity"/>, the
/// dataset's <see cref="ImageCaptionDataset.PreprocessSignature"/>, and the shard's members with each image file's
/// size and modification time. Otherwise it is rebuilt, so a changed encoder, resolution, or image never yields a
/// stale latent. Only deterministic preprocessing can be cached (centre crop); random crops differ every epoch.
/// </para>
/// </summary>
public sealed class LatentCache : IDisposable
{
    public const int DefaultShardSize = 1024;
    public const string FormatName = "wuerstchen-latent-cache-v1";
    private const string FlipSuffix = "#flip";

    private readonly SafeTensorsFile?[] _shards;
    private readonly Dictionary<string, int> _shardOfId;

    public ImageCaptionDataset Dataset { get; }
    public string Folder { get; }
    public string EncoderIdentity { get; }
    public int ShardSize { get; }

    /// <summary>Shards rebuilt by the last <see cref="Build"/> (the rest were reused).</summary>
    public int RebuiltShards { get; }

    private LatentCache(ImageCaptionDataset dataset, string folder, string identity, int shardSize, SafeTensorsFile?[] shards, int rebuilt)
    {
        Dataset = dataset;
        Folder = folder;
        EncoderIdentity = identity;
        ShardSize = shardSize;
        _shards = shards;
        RebuiltShards = rebuilt;
        _shardOfId = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < dataset.Count; i++) _shardOfId[dataset.Entries[i].Id] = i / shardSize;
    }

    public static string ShardFileName(int shard) => string.Create(CultureInfo.InvariantCulture, $"latents-{shard:D5}.safetensors");

    /// <summary>
    /// Brings the cache in <paramref name="folder"/> up to date with <paramref name="dataset"/> and
    /// <paramref name="encoder"/>, encoding <paramref name="batchSize"/> images at a time for every shard that is
    /// missing or stale, and opens it for reading. <paramref name="progress"/> receives the number of entries
    /// checked or encoded so far. Broken images follow the dataset's error policy.
    /// </summary>
    public static LatentCache Build(ImageCaptionDataset dataset, string folder, LatentEncoder encoder,
        int batchSize = 16, int shardSize = DefaultShardSize, IProgress<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentException.ThrowIfNullOrEmpty(encoder.Identity, nameof(encoder));
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "Batch size must be positive.");
        if (shardSize <= 0) throw new ArgumentOutOfRangeException(nameof(shardSize), shardSize, "Shard size must be positive.");
        if (dataset.Options.Crop != CropMode.Center)
            throw new InvalidOperationException($"Latents can only be cached for deterministic preprocessing; the dataset uses {dataset.Options.Crop} crops, which differ every epoch.");
        Directory.CreateDirectory(folder);

        int shardCount = (dataset.Count + shardSize - 1) / shardSize, rebuilt = 0;
        var indexOfId = Enumerable.Range(0, dataset.Count).ToDictionary(i => dataset.Entries[i].Id, StringComparer.Ordinal);
        var shards = new SafeTensorsFile?[shardCount];
        try
        {
            for (int s = 0; s < shardCount; s++)
            {
                var path = Path.Combine(folder, ShardFileName(s));
                int first = s * shardSize, count = Math.Min(shardSize, dataset.Count - first);
                var expected = ShardMetadata(dataset, encoder.Identity, first, count);
                shards[s] = TryOpenMatching(path, expected);
                if (shards[s] is null)
                {
                    WriteShard(dataset, encoder, path, first, count, batchSize, expected);
                    shards[s] = SafeTensorsFile.Open(path);
                    rebuilt++;
                }
                else
                {
                    // A reused shard still records which members could not be encoded: skip them again.
                    foreach (var id in SkippedIds(shards[s]!))
                    {
                        int index = indexOfId[id];
                        dataset.HandleBroken(index, new DatasetSampleException(dataset.Entries[index].ImagePath, "image could not be encoded when the latent cache was built"));
                    }
                }
                progress?.Report(first + count);
            }
            DeleteStaleShards(folder, shardCount);
        }
        catch
        {
            foreach (var f in shards) f?.Dispose();
            throw;
        }
        return new LatentCache(dataset, folder, encoder.Identity, shardSize, shards, rebuilt);
    }

    /// <summary>The cached latent of sample <paramref name="id"/> (mirrored if <paramref name="flipped"/>) as a new tensor.</summary>
    public bool TryGet(string id, bool flipped, [NotNullWhen(true)] out Tensor? latent)
    {
        latent = null;
        if (!_shardOfId.TryGetValue(id, out int shard)) return false;
        var file = _shards[shard] ?? throw new ObjectDisposedException(nameof(LatentCache));
        var key = flipped ? id + FlipSuffix : id;
        if (!file.Contains(key)) return false;
        latent = file.ReadTensor(key);
        return true;
    }

    /// <summary>Stacks same-shaped tensors into a new [N, …] tensor.</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> items)
    {
        if (items.Count == 0) throw new ArgumentException("Nothing to stack.", nameof(items));
        var shape = items[0].Shape.ToArray();
        foreach (var t in items)
            if (!t.Shape.SequenceEqual(shape)) throw new ArgumentException($"Cannot stack {t} with {items[0]}: shapes differ.", nameof(items));
        var stacked = Tensor.Empty([items.Count, .. shape]);
        var dst = stacked.AsSpan();
        int per = (int)items[0].Numel;
        for (int i = 0; i < items.Count; i++) items[i].Contiguous().AsSpan().CopyTo(dst.Slice(i * per, per));
        return stacked;
    }

    public void Dispose()
    {
        for (int i = 0; i < _shards.Length; i++)
        {
            _shards[i]?.Dispose();
            _shards[i] = null;
        }
    }

    private static Dictionary<string, string> ShardMetadata(ImageCaptionDataset dataset, string identity, int first, int count)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            for (int i = first; i < first + count; i++)
            {
                var entry = dataset.Entries[i];
                var info = new FileInfo(entry.ImagePath);
                w.WriteStartArray();
                w.WriteStringValue(entry.Id);
                w.WriteStringValue(info.Exists ? string.Create(CultureInfo.InvariantCulture, $"{info.Length}:{info.LastWriteTimeUtc.Ticks}") : "missing");
                w.WriteEndArray();
            }
            w.WriteEndArray();
        }
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = FormatName,
            ["encoder"] = identity,
            ["preprocess"] = dataset.PreprocessSignature,
            ["flips"] = dataset.Options.RandomFlip ? "both" : "none",
            ["members"] = System.Text.Encoding.UTF8.GetString(buffer.ToArray()),
        };
    }

    private static SafeTensorsFile? TryOpenMatching(string path, Dictionary<string, string> expected)
    {
        if (!File.Exists(path)) return null;
        SafeTensorsFile file;
        try { file = SafeTensorsFile.Open(path); }
        catch (InvalidDataException) { return null; } // unreadable: rebuild it
        foreach (var (key, value) in expected)
        {
            if (!file.Metadata.TryGetValue(key, out var stored) || stored != value)
            {
                file.Dispose();
                return null;
            }
        }
        return file;
    }

    private static IEnumerable<string> SkippedIds(SafeTensorsFile file)
    {
        if (!file.Metadata.TryGetValue("skipped", out var json) || json.Length == 0) return [];
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.EnumerateArray().Select(e => e.GetString()!).ToArray();
    }

    private static void WriteShard(ImageCaptionDataset dataset, LatentEncoder encoder, string path, int first, int count, int batchSize, Dictionary<string, string> metadata)
    {
        var variants = dataset.Options.RandomFlip ? new[] { false, true } : new[] { false };
        var writer = new SafeTensorsWriter();
        var owned = new List<Tensor>();
        var skipped = new List<string>();
        try
        {
            // Work items: (entry, flip) pairs, encoded batchSize at a time.
            var items = Enumerable.Range(first, count).SelectMany(i => variants.Select(f => (Index: i, Flip: f))).ToArray();
            for (int start = 0; start < items.Length; start += batchSize)
            {
                var batch = items.AsSpan(start, Math.Min(batchSize, items.Length - start)).ToArray()
                    .Where(item => !skipped.Contains(dataset.Entries[item.Index].Id)).ToArray();
                var pixels = dataset.LoadImages(batch.Select(b => b.Index).ToArray(), batch.Select(b => new SampleAugmentation(b.Flip, 0, 0)).ToArray());
                var good = new List<(int Index, bool Flip)>();
                for (int k = 0; k < batch.Length; k++)
                {
                    if (pixels[k] is null) skipped.Add(dataset.Entries[batch[k].Index].Id);   // broken: the policy has logged it (or thrown)
                    else good.Add(batch[k]);
                }
                if (good.Count == 0) continue;
                using var images = dataset.StackImages(pixels.OfType<float[]>().ToArray());
                var latents = encoder.Encode(images);
                owned.Add(latents);
                if (latents.Rank < 1 || latents.Size(0) != good.Count)
                    throw new InvalidOperationException($"Encoder '{encoder.Identity}' returned {latents} for {good.Count} images; the first dimension must be the batch.");
                for (int k = 0; k < good.Count; k++)
                {
                    var id = dataset.Entries[good[k].Index].Id;
                    writer.Add(good[k].Flip ? id + FlipSuffix : id, latents.Select(0, k));
                }
            }
            foreach (var (k, v) in metadata) writer.Metadata[k] = v;
            writer.Metadata["skipped"] = JsonText.StringArray(skipped.Distinct());
            writer.Save(path);
        }
        finally
        {
            foreach (var t in owned) t.Dispose();
        }
    }

    private static void DeleteStaleShards(string folder, int shardCount)
    {
        foreach (var path in Directory.EnumerateFiles(folder, "latents-*.safetensors"))
        {
            var digits = Path.GetFileNameWithoutExtension(path)["latents-".Length..];
            if (int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int shard) && shard >= shardCount)
                File.Delete(path);
        }
    }
}
