using System.Text;
using Wuerstchen.IO;
using Wuerstchen.IO.Png;
using Wuerstchen.Kernels;

namespace Wuerstchen.Data.Shapes;

/// <summary>What <see cref="ShapesDatasetWriter.Write"/> produced.</summary>
public sealed record ShapesDatasetSummary(string Folder, int Count, int Size, ulong Seed, TimeSpan Elapsed);

/// <summary>
/// Writes the procedural captioned-shapes dataset: <c>NNNNNN.png</c> (8-bit RGB, S×S) with <c>NNNNNN.txt</c> (the
/// caption, UTF-8, no newline) for every sample, and <c>metadata.jsonl</c> (one <see cref="ShapesMetadata"/> line
/// per sample, in index order). Every file is written atomically; samples are generated in parallel through
/// <see cref="Threads.For"/> and the output does not depend on the thread count.
/// </summary>
public static class ShapesDatasetWriter
{
    public const string MetadataFileName = "metadata.jsonl";

    /// <summary>
    /// Generates samples 0…<paramref name="count"/>−1 of the dataset with <paramref name="seed"/> into
    /// <paramref name="folder"/> (created if missing; it must be empty, so stale samples of an earlier run can
    /// never mix in). <paramref name="progress"/> receives the number of samples written so far.
    /// </summary>
    public static ShapesDatasetSummary Write(string folder, int count, int size, ulong seed,
        ShapeSceneOptions? options = null, IProgress<int>? progress = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (count <= 0) throw new ArgumentOutOfRangeException(nameof(count), count, "Sample count must be positive.");
        if (size is < 16 or > 4096) throw new ArgumentOutOfRangeException(nameof(size), size, "Image size must be in [16, 4096].");
        var sampler = new ShapeSceneSampler(options);
        Directory.CreateDirectory(folder);
        if (Directory.EnumerateFileSystemEntries(folder).Any())
            throw new IOException($"Output folder '{folder}' is not empty; choose a new folder or delete its contents.");

        var started = System.Diagnostics.Stopwatch.StartNew();
        var lines = new string[count];
        // Chunks of consecutive samples amortise the thread hand-off; 64 keeps progress reports frequent.
        const int Chunk = 64;
        int chunks = (count + Chunk - 1) / Chunk, written = 0;
        var pngOptions = new PngWriteOptions();
        Threads.For(chunks, c =>
        {
            int end = Math.Min(count, (c + 1) * Chunk);
            for (int i = c * Chunk; i < end; i++)
            {
                var sample = ShapesSample.Generate(seed, i, sampler);
                string png = sample.Id + ".png";
                using (var image = ShapeRasterizer.Render(sample.Scene, size))
                    PngFile.Write(Path.Combine(folder, png), ImageTensors.FromTensor(image)[0], pngOptions);
                AtomicFile.WriteAllBytes(Path.Combine(folder, sample.Id + ".txt"), Encoding.UTF8.GetBytes(sample.Caption));
                lines[i] = ShapesMetadata.ToJsonLine(sample, png);
            }
            int done = Interlocked.Add(ref written, end - c * Chunk);
            progress?.Report(done);
        });
        AtomicFile.Write(Path.Combine(folder, MetadataFileName), stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
            foreach (var line in lines) writer.WriteLine(line);
        });
        return new ShapesDatasetSummary(Path.GetFullPath(folder), count, size, seed, started.Elapsed);
    }
}
