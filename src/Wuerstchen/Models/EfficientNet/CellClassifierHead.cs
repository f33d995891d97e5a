using Wuerstchen.Models.Init;
using Wuerstchen.Models.Nn;
using Wuerstchen.Models.Weights;
using Wuerstchen.Rng;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models.EfficientNet;

/// <summary>
/// Linear probes on the semantic compressor's features, one 1×1 convolution per labelled attribute (<c>shape</c>,
/// <c>color</c>): class logits for every feature cell. Trained with the compressor when a dataset has per-object
/// labels (<c>train effnet --label-weight</c>), they make the features carry those classes linearly, as the released
/// compressor's ImageNet training made its features carry ImageNet's. A training aid, not part of any pipeline.
/// </summary>
public sealed class CellClassifierHead : Module
{
    private readonly Conv2d _shape, _color;

    public int InChannels { get; }
    public int ShapeClasses { get; }
    public int ColorClasses { get; }

    public CellClassifierHead(WeightSource ws, int inChannels, int shapeClasses, int colorClasses)
    {
        InChannels = inChannels;
        ShapeClasses = shapeClasses;
        ColorClasses = colorClasses;
        _shape = Own(new Conv2d(ws.Scope("shape"), inChannels, shapeClasses, 1));
        _color = Own(new Conv2d(ws.Scope("color"), inChannels, colorClasses, 1));
    }

    /// <summary>A new head with torch's default Conv2d initialisation drawn from <paramref name="seed"/>.</summary>
    public static CellClassifierHead Create(int inChannels, int shapeClasses, int colorClasses, ulong seed)
    {
        using var ws = WeightSource.Random(seed);
        var head = new CellClassifierHead(ws, inChannels, shapeClasses, colorClasses);
        InitRandom.TorchDefaults(head, new TorchGenerator(seed));
        return head;
    }

    /// <summary>Loads a head written with <see cref="ConfigJson"/> and its weights (writable, to go on training).</summary>
    public static CellClassifierHead FromPretrained(string folder)
    {
        var config = Pretrained.IntConfig(folder);
        return Pretrained.Load(folder, null, nameof(CellClassifierHead),
            ws => new CellClassifierHead(ws, config("in_channels"), config("shape_classes"), config("color_classes")), writable: true);
    }

    /// <summary>The <c>config.json</c> of the head's component folder.</summary>
    public string ConfigJson => System.FormattableString.Invariant(
        $"{{\n  \"_class_name\": \"CellClassifierHead\",\n  \"in_channels\": {InChannels},\n  \"shape_classes\": {ShapeClasses},\n  \"color_classes\": {ColorClasses}\n}}\n");

    /// <summary>Shape and colour logits [B, classes, h, w] of features [B, c, h, w].</summary>
    public (Tensor Shape, Tensor Color) Forward(Tensor features) => (_shape.Forward(features), _color.Forward(features));

    /// <summary>Shape logits [B, shape classes, h, w] alone (what <see cref="Evaluation.EmbeddingShapeProbe"/> reads).</summary>
    public Tensor ShapeLogits(Tensor features) => _shape.Forward(features);

    /// <summary>
    /// Mean cross-entropy of <paramref name="logits"/> [B, K, h, w] against class indices <paramref name="labels"/>
    /// (B·h·w of them, row-major per sample), differentiable in the logits.
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, int[] labels)
    {
        int b = logits.Size(0), k = logits.Size(1), cells = logits.Size(2) * logits.Size(3);
        if (labels.Length != b * cells) throw new ArgumentException($"CrossEntropy: {labels.Length} labels for {b}×{cells} cells.", nameof(labels));
        var oneHot = new float[b * k * cells];
        for (int n = 0; n < b; n++)
            for (int c = 0; c < cells; c++)
            {
                int label = labels[n * cells + c];
                if ((uint)label >= (uint)k) throw new ArgumentOutOfRangeException(nameof(labels), label, $"A class index must be below {k}.");
                oneHot[(n * k + label) * cells + c] = 1f;
            }
        using var target = Tensor.FromArray(oneHot, b, k, logits.Size(2), logits.Size(3));
        using var logProbabilities = Ops.LogSoftmax(logits, 1);
        using var picked = Ops.Mul(logProbabilities, target);
        using var total = Ops.Sum(picked, []);
        return Ops.Mul(total, -1f / (b * cells));
    }

    /// <summary>Share of cells with a label other than 0 whose arg-max logit is that label (NaN when there are none).</summary>
    public static double ObjectAccuracy(Tensor logits, int[] labels)
    {
        int k = logits.Size(1), cells = logits.Size(2) * logits.Size(3);
        var values = logits.ToArray();
        int right = 0, total = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] == 0) continue;
            int n = i / cells, c = i % cells, best = 0;
            for (int j = 1; j < k; j++)
                if (values[(n * k + j) * cells + c] > values[(n * k + best) * cells + c]) best = j;
            total++;
            if (best == labels[i]) right++;
        }
        return total == 0 ? double.NaN : (double)right / total;
    }
}
