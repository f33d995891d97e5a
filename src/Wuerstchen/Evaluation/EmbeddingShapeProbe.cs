using Wuerstchen.Data.Shapes;
using Wuerstchen.Models.EfficientNet;
using Wuerstchen.Tensors;

namespace Wuerstchen.Evaluation;

/// <summary>What <see cref="EmbeddingShapeProbe"/> reads in one image embedding: the voted shape (null: no object cell).</summary>
public sealed record ProbeReading(ShapeKind? Shape, int ObjectCells);

/// <summary>
/// Reads the shape an image embedding (a Stage C latent) carries, with the compressor's linear cell probes
/// (<see cref="CellClassifierHead"/>, trained by <c>train effnet --label-weight</c>): the cells whose most likely
/// class is not background are the object's, and the shape with the largest summed probability over them wins.
/// On the prior's output this tells whether a wrong shape in the picture was the prior's (the latent already
/// carries another shape) or Stage B's (the latent carries the prompt's shape, the picture does not).
/// </summary>
public sealed class EmbeddingShapeProbe(CellClassifierHead head) : IDisposable
{
    public const string ComponentName = Training.Trainers.SemanticCompressorObjective.LabelsFolder;

    public CellClassifierHead Head { get; } = head;

    /// <summary>Loads the probes of <paramref name="folder"/>: an <c>effnet_labels</c> folder, or one that has it (a <c>train effnet</c> output).</summary>
    public static EmbeddingShapeProbe FromFolder(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: folder not found.");
        string nested = Path.Combine(folder, ComponentName);
        if (!File.Exists(Path.Combine(folder, "config.json")) && Directory.Exists(nested)) folder = nested;
        if (!File.Exists(Path.Combine(folder, "config.json")))
            throw new FileNotFoundException($"{folder}: no config.json of a CellClassifierHead (nor an {ComponentName} folder with one).");
        var head = CellClassifierHead.FromPretrained(folder);
        if (head.ShapeClasses != ShapeCellLabels.ShapeClasses)
        {
            head.Dispose();
            throw new InvalidDataException($"{folder}: a shape probe has {ShapeCellLabels.ShapeClasses} classes (background and {ShapeCellLabels.ShapeClasses - 1} shapes), this one {head.ShapeClasses}.");
        }
        return new EmbeddingShapeProbe(head);
    }

    /// <summary>The reading of one embedding [1, C, h, w] (C = the probe's input channels).</summary>
    public ProbeReading Read(Tensor embedding)
    {
        if (embedding.Rank != 4 || embedding.Size(0) != 1 || embedding.Size(1) != Head.InChannels)
            throw new ArgumentException($"The probe reads one embedding [1, {Head.InChannels}, h, w]; got {embedding}.", nameof(embedding));
        using var shapeLogits = Head.ShapeLogits(embedding);
        using (var probabilities = Ops.Softmax(shapeLogits, 1))
        {
            var p = probabilities.ToArray();
            int classes = Head.ShapeClasses, cells = embedding.Size(2) * embedding.Size(3);
            var votes = new double[classes];
            int objectCells = 0;
            for (int cell = 0; cell < cells; cell++)
            {
                int best = 0;
                for (int k = 1; k < classes; k++)
                    if (p[k * cells + cell] > p[best * cells + cell]) best = k;
                if (best == 0) continue;
                objectCells++;
                for (int k = 1; k < classes; k++) votes[k] += p[k * cells + cell];
            }
            if (objectCells == 0) return new ProbeReading(null, 0);
            int winner = 1;
            for (int k = 2; k < classes; k++) if (votes[k] > votes[winner]) winner = k;
            return new ProbeReading((ShapeKind)(winner - 1), objectCells);
        }
    }

    public void Dispose() => Head.Dispose();
}
