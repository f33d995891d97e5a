using Wuerstchen.Tensors;

namespace Wuerstchen.Training;

/// <summary>
/// A trainable tensor and its state-dict key (e.g. <c>blocks.0.depthwise.weight</c>). The key names the
/// parameter's optimiser and EMA state, so a resumed run finds it again whatever order parameters come in.
/// The tensor must own writable memory (a weight borrowed from a read-only memory-mapped file cannot be updated).
/// </summary>
public readonly record struct NamedParameter(string Name, Tensor Value)
{
    /// <summary>Checks that names are unique and non-empty; returns the list.</summary>
    internal static NamedParameter[] Validate(IEnumerable<NamedParameter> parameters, string owner)
    {
        var list = parameters.ToArray();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in list)
        {
            if (string.IsNullOrEmpty(p.Name)) throw new ArgumentException($"{owner}: a parameter has no name.");
            if (p.Value is null) throw new ArgumentException($"{owner}: parameter '{p.Name}' has no tensor.");
            if (!seen.Add(p.Name)) throw new ArgumentException($"{owner}: parameter name '{p.Name}' appears twice.");
            if (!p.Value.IsContiguous) throw new ArgumentException($"{owner}: parameter '{p.Name}' ({p.Value}) is a strided view; parameters must be contiguous.");
        }
        return list;
    }
}
