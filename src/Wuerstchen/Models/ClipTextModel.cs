using Wuerstchen.Models.Configs;
using Wuerstchen.Models.Nn;
using Wuerstchen.Models.Weights;
using Wuerstchen.Tensors;

namespace Wuerstchen.Models;

/// <summary>
/// Hugging Face <c>CLIPTextModel</c> (SPEC §2.11), returning <c>last_hidden_state</c> — all positions, after the
/// final LayerNorm, which is what both Würstchen stages consume. Keys under <c>text_model.</c>.
/// <code>
/// h = token_embedding[ids] + position_embedding[0..L)
/// for each layer: h = layer(h, causal mask + padding mask)
/// return final_layer_norm(h)
/// </code>
/// </summary>
public sealed class ClipTextModel : Module
{
    private readonly Tensor _tokenEmbedding, _positionEmbedding;
    private readonly ClipEncoderLayer[] _layers;
    private readonly LayerNorm _finalLayerNorm;

    public ClipTextConfig Config { get; }

    public ClipTextModel(ClipTextConfig config, WeightSource ws)
    {
        config.Validate();
        Config = config;
        var tm = ws.Scope("text_model");
        int hidden = config.HiddenSize;
        _tokenEmbedding = LoadWeight(tm, "embeddings.token_embedding.weight", config.VocabSize, hidden);
        _positionEmbedding = LoadWeight(tm, "embeddings.position_embedding.weight", config.MaxPositionEmbeddings, hidden);
        _layers = new ClipEncoderLayer[config.NumHiddenLayers];
        for (int i = 0; i < _layers.Length; i++)
            _layers[i] = Own(new ClipEncoderLayer(tm.Scope($"encoder.layers.{i}"), hidden, config.IntermediateSize,
                config.NumAttentionHeads, config.HiddenAct, config.LayerNormEps));
        _finalLayerNorm = Own(new LayerNorm(tm.Scope("final_layer_norm"), hidden, config.LayerNormEps));
    }

    /// <summary>Loads <c>config.json</c> and the safetensors weights of a <c>text_encoder</c> folder.</summary>
    public static ClipTextModel FromPretrained(string folder, string? variant = null, bool writable = false)
    {
        var config = ClipTextConfig.Load(folder);
        return Pretrained.Load(folder, variant, "CLIPTextModel", ws => new ClipTextModel(config, ws), writable);
    }

    /// <summary>Token plus position embeddings, [B, L, hidden] for <paramref name="inputIds"/> laid out [B, L].</summary>
    public Tensor Embed(ReadOnlySpan<int> inputIds, int batchSize)
    {
        int length = SequenceLength(inputIds.Length, batchSize);
        foreach (int id in inputIds)
            if ((uint)id >= (uint)Config.VocabSize)
                throw new ArgumentOutOfRangeException(nameof(inputIds), $"Token id {id} is outside the vocabulary (size {Config.VocabSize}).");
        using var tokens = Ops.Embedding(_tokenEmbedding, inputIds, [batchSize, length]);
        return Ops.Add(tokens, _positionEmbedding.Narrow(0, 0, length));
    }

    /// <summary>
    /// <c>last_hidden_state</c> [B, L, hidden]. <paramref name="inputIds"/> and <paramref name="attentionMask"/> are
    /// laid out [B, L] (mask 1 = token, 0 = padding; empty = no padding mask). Padded positions are computed too
    /// (Würstchen uses all of them); with the mask they attend only to real tokens, as in the diffusers pipelines.
    /// </summary>
    public Tensor Forward(ReadOnlySpan<int> inputIds, ReadOnlySpan<int> attentionMask, int batchSize, ActivationTrace? trace = null)
    {
        int length = SequenceLength(inputIds.Length, batchSize);
        if (!attentionMask.IsEmpty && attentionMask.Length != inputIds.Length)
            throw new ArgumentException($"attention_mask has {attentionMask.Length} entries, input_ids {inputIds.Length}.", nameof(attentionMask));

        using var paddingMask = attentionMask.IsEmpty ? null : PaddingMask(attentionMask, batchSize, length);
        var h = Embed(inputIds, batchSize);
        trace?.Invoke("embeddings", h);
        foreach (var layer in _layers)
        {
            using var previous = h;
            h = layer.Forward(previous, paddingMask);
        }
        using (h)
            return _finalLayerNorm.Forward(h);
    }

    /// <summary>
    /// Additive key mask [B, 1, 1, L]. Like transformers we use float.MinValue rather than −∞ for dropped keys, so
    /// a row whose keys were all dropped would stay finite; in practice BOS (key 0) is always visible.
    /// </summary>
    private static Tensor PaddingMask(ReadOnlySpan<int> attentionMask, int batchSize, int length)
    {
        var mask = Tensor.Empty(batchSize, 1, 1, length);
        var m = mask.AsSpan();
        for (int i = 0; i < m.Length; i++)
            m[i] = attentionMask[i] switch
            {
                0 => float.MinValue,
                1 => 0f,
                var v => throw new ArgumentException($"attention_mask[{i}] is {v}; it must be 0 or 1.", nameof(attentionMask)),
            };
        return mask;
    }

    private int SequenceLength(int idCount, int batchSize)
    {
        if (batchSize < 1 || idCount % batchSize != 0 || idCount == 0)
            throw new ArgumentException($"input_ids has {idCount} entries, which is not batch size {batchSize} × a sequence length.");
        int length = idCount / batchSize;
        if (length > Config.MaxPositionEmbeddings)
            throw new ArgumentException($"Sequence length {length} exceeds max_position_embeddings {Config.MaxPositionEmbeddings}.");
        return length;
    }
}
