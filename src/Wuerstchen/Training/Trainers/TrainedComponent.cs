using Wuerstchen.Models.Nn;
using Wuerstchen.Tensors;
using Wuerstchen.Training.Checkpoints;

namespace Wuerstchen.Training.Trainers;

/// <summary>
/// A model of a run under its pipeline component name (<c>prior</c>, <c>text_encoder</c>, …), trained or frozen.
/// A trained component contributes its parameters (named <c>&lt;component&gt;.&lt;key&gt;</c>) and buffers to the
/// optimiser and the training state; every component is written into checkpoints as its own folder, so a
/// checkpoint is a complete pipeline.
/// </summary>
public sealed class TrainedComponent(string name, Module model, string configJson, string weightsFileName, bool trained)
{
    public string Name { get; } = name;
    public Module Model { get; } = model;
    public string ConfigJson { get; } = configJson;
    public string WeightsFileName { get; } = weightsFileName;
    public bool Trained { get; } = trained;

    public IReadOnlyList<NamedParameter> Parameters => Trained
        ? Model.NamedParameters().Select(p => new NamedParameter(Name + "." + p.Name, p.Value)).ToArray()
        : [];

    public IReadOnlyList<NamedParameter> Buffers
    {
        get
        {
            if (!Trained) return [];
            var parameters = Model.NamedParameters().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
            return Model.StateDict().Where(kv => !parameters.Contains(kv.Key)).Select(kv => new NamedParameter(Name + "." + kv.Key, kv.Value)).ToArray();
        }
    }

    /// <summary>The component folder, each trained parameter replaced by <paramref name="weightOf"/>'s choice (the EMA average or itself).</summary>
    public ComponentFolder Folder(Func<NamedParameter, Tensor> weightOf)
    {
        var parameters = Model.NamedParameters().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var tensors = Model.StateDict()
            .Select(kv => Trained && parameters.Contains(kv.Key)
                ? new KeyValuePair<string, Tensor>(kv.Key, weightOf(new NamedParameter(Name + "." + kv.Key, kv.Value)))
                : kv)
            .ToArray();
        return new ComponentFolder(Name, ConfigJson, WeightsFileName, tensors);
    }
}
