namespace Wuerstchen.IO.SafeTensors;

/// <summary>
/// Rewrites a safetensors file with its floating-point tensors in another precision (e.g. F32 → F16 to ship small
/// weights), keeping integer tensors (BatchNorm's <c>num_batches_tracked</c>) and the metadata. The new
/// file replaces the old one atomically.
/// </summary>
public static class SafeTensorsConverter
{
    /// <summary>Converts <paramref name="path"/> in place; returns the number of tensors whose dtype changed.</summary>
    public static int ConvertInPlace(string path, SafeTensorsDType dtype)
    {
        if (!dtype.IsFloatingPoint() || dtype == SafeTensorsDType.F64)
            throw new ArgumentException($"Weights can be converted to F32, F16 or BF16, not {dtype}.", nameof(dtype));
        var writer = new SafeTensorsWriter();
        int changed = 0;
        var owned = new List<IDisposable>();
        try
        {
            using (var file = SafeTensorsFile.Open(path))
            {
                foreach (var (k, v) in file.Metadata) writer.Metadata[k] = v;
                foreach (var info in file.Tensors)
                {
                    if (!info.DType.IsFloatingPoint() || info.DType == dtype)
                    {
                        writer.AddRaw(info.Name, info.DType, info.Shape, file.ReadRaw(info.Name));
                        continue;
                    }
                    var t = file.ReadTensor(info.Name);
                    owned.Add(t);
                    writer.Add(info.Name, t, dtype);
                    changed++;
                }
            }
            writer.Save(path);
        }
        finally
        {
            foreach (var t in owned) t.Dispose();
        }
        return changed;
    }
}
