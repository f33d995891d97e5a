using Wuerstchen.Autograd;
using Wuerstchen.Data;
using Wuerstchen.Data.Shapes;
using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Models;
using Wuerstchen.Models.EfficientNet;
using Wuerstchen.Tensors;
using Wuerstchen.Training.Checkpoints;
using Wuerstchen.Training.Objectives;

namespace Wuerstchen.Training.Trainers;

/// <summary>
/// Pre-trains a semantic compressor from scratch, for models trained on data of their own where no ImageNet
/// EfficientNet fits (the default model): the compressor and a <see cref="LatentReconstructionHead"/> learn to
/// reconstruct the frozen Stage A latent through the compressor's 16-channel bottleneck.
/// <code>
/// x0   = vqgan.encode(images) / scale_factor                    (frozen Stage A, un-quantised latents)
/// e    = compressor(images)                                     (BatchNorm on batch statistics)
/// loss = mse(head(e, size of x0), x0)
/// </code>
/// With <see cref="ShapeLabelSupervision"/> (a shapes dataset's <c>metadata.jsonl</c>), linear probes on the features
/// also classify every cell's object shape and colour, and the loss adds <c>weight · (CE_shape + CE_colour)</c>.
/// Stage B and Stage C then train against the frozen result (<c>--effnet DIR --freeze-effnet</c>). The export is
/// <c>effnet/</c> (always F32: Stage C's latents are defined by it) and <c>effnet_head/</c> (and <c>effnet_labels/</c>),
/// kept for inspection and for continuing with <c>--init</c>.
/// </summary>
public sealed class SemanticCompressorObjective : ITrainingObjective
{
    public const string HeadFolder = "effnet_head";
    public const string LabelsFolder = "effnet_labels";

    private readonly TrainedComponent _effnet, _head;
    private readonly TrainedComponent? _labels;
    private readonly ISemanticCompressor _compressor;

    public PaellaVQModel VqGan { get; }
    public LatentReconstructionHead Head { get; }
    public ISemanticCompressor Compressor => _compressor;
    public ShapeLabelSupervision? Labels { get; }

    public string Name => "effnet";
    public IReadOnlyList<NamedParameter> Parameters { get; }
    public IReadOnlyList<NamedParameter> Buffers { get; }

    /// <summary>Takes ownership of the models.</summary>
    public SemanticCompressorObjective(ISemanticCompressor compressor, LatentReconstructionHead head, PaellaVQModel vqgan, ShapeLabelSupervision? labels = null)
    {
        if (head.InChannels != compressor.LatentChannels)
            throw new ArgumentException($"The head reads {head.InChannels} channels, the compressor gives {compressor.LatentChannels}.", nameof(head));
        if (head.OutChannels != vqgan.Config.LatentChannels)
            throw new ArgumentException($"The head writes {head.OutChannels} channels, Stage A's latent has {vqgan.Config.LatentChannels}.", nameof(head));
        _compressor = compressor;
        Head = head;
        VqGan = vqgan;
        _effnet = new TrainedComponent("effnet", compressor.Module, compressor.ConfigJson, ComponentFolder.DiffusersWeights, trained: true);
        _head = new TrainedComponent(HeadFolder, head, head.ConfigJson, ComponentFolder.DiffusersWeights, trained: true);
        Labels = labels;
        if (labels is not null)
        {
            if (labels.Head.InChannels != compressor.LatentChannels)
                throw new ArgumentException($"The label head reads {labels.Head.InChannels} channels, the compressor gives {compressor.LatentChannels}.", nameof(labels));
            _labels = new TrainedComponent(LabelsFolder, labels.Head, labels.Head.ConfigJson, ComponentFolder.DiffusersWeights, trained: true);
        }
        Parameters = [.. _effnet.Parameters, .. _head.Parameters, .. _labels?.Parameters ?? []];
        Buffers = [.. _effnet.Buffers, .. _head.Buffers];
    }

    public StepResult Step(CaptionBatch batch, StepContext context)
    {
        var images = batch.Images ?? throw new ArgumentException("The semantic compressor trains on images; the batch holds cached latents.", nameof(batch));
        using var x0 = FrozenStageA.Latents(VqGan, images);
        using (var tape = Tape.Record())
        {
            using var features = _compressor.Encode(images, training: true);
            using var reconstruction = Head.Forward(features, x0.Size(2), x0.Size(3));
            var terms = new Dictionary<string, double> { ["latent_var"] = Variance(x0) };
            var loss = DiffusionLoss.Mse(reconstruction, x0);
            terms["loss_recon"] = loss.Item();
            if (Labels is not null)
            {
                using var previous = loss;
                using var labelLoss = Labels.Loss(features, batch, terms);
                loss = Ops.Add(previous, labelLoss);
            }
            using (loss)
            {
                tape.Backward(loss);
                return new StepResult(loss.Item(), terms);
            }
        }
    }

    // The target's variance: the loss relative to it is the share of the latent the features fail to explain.
    private static double Variance(Tensor x)
    {
        var v = x.AsSpan();
        double sum = 0, sq = 0;
        foreach (float f in v) { sum += f; sq += (double)f * f; }
        double mean = sum / v.Length;
        return sq / v.Length - mean * mean;
    }

    public void Export(string folder, Func<NamedParameter, Tensor> weightOf, SafeTensorsDType dtype)
    {
        _effnet.Folder(weightOf).Write(folder);
        _head.Folder(weightOf).Write(folder);
        _labels?.Folder(weightOf).Write(folder);
    }

    public void Dispose()
    {
        _compressor.Dispose();
        Head.Dispose();
        Labels?.Head.Dispose();
        VqGan.Dispose();
    }
}

/// <summary>
/// The labels of a shapes dataset as an extra target of <see cref="SemanticCompressorObjective"/>: per feature cell,
/// the covering object's shape and colour (<see cref="ShapeCellLabels"/>), from the scenes of <c>metadata.jsonl</c>
/// by image id (file name without extension). Takes ownership of <see cref="Head"/>.
/// </summary>
public sealed class ShapeLabelSupervision(CellClassifierHead head, IReadOnlyDictionary<string, LabelledScene> scenes, float weight)
{
    public CellClassifierHead Head { get; } = head;
    public float Weight { get; } = weight;

    /// <summary>The scenes of a shapes dataset folder's <c>metadata.jsonl</c>, by image id.</summary>
    public static IReadOnlyDictionary<string, LabelledScene> ReadScenes(string datasetFolder)
    {
        string path = Path.Combine(datasetFolder, ShapesDatasetWriter.MetadataFileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file; the object labels come from a shapes dataset's metadata.jsonl (make-dataset shapes).", path);
        return ShapeCellLabels.ReadScenes(path);
    }

    /// <summary><c>weight · (CE_shape + CE_colour)</c> of the features' cells; adds the terms and object-cell accuracies to <paramref name="terms"/>.</summary>
    public Tensor Loss(Tensor features, CaptionBatch batch, IDictionary<string, double> terms)
    {
        int n = features.Size(0), rows = features.Size(2), cols = features.Size(3), cells = rows * cols;
        var shapes = new int[n * cells];
        var colors = new int[n * cells];
        for (int b = 0; b < n; b++)
        {
            if (!scenes.TryGetValue(batch.Ids[b], out var scene))
                throw new InvalidDataException($"metadata.jsonl has no scene for image '{batch.Ids[b]}'.");
            var (s, c) = ShapeCellLabels.For(scene, batch.Flipped[b], rows, cols);
            s.CopyTo(shapes, b * cells);
            c.CopyTo(colors, b * cells);
        }
        var (shapeLogits, colorLogits) = Head.Forward(features);
        using (shapeLogits)
        using (colorLogits)
        {
            using var shapeLoss = CellClassifierHead.CrossEntropy(shapeLogits, shapes);
            using var colorLoss = CellClassifierHead.CrossEntropy(colorLogits, colors);
            terms["loss_shape"] = shapeLoss.Item();
            terms["loss_color"] = colorLoss.Item();
            terms["shape_acc"] = CellClassifierHead.ObjectAccuracy(shapeLogits, shapes);
            terms["color_acc"] = CellClassifierHead.ObjectAccuracy(colorLogits, colors);
            using var sum = Ops.Add(shapeLoss, colorLoss);
            return Ops.Mul(sum, Weight);
        }
    }
}
